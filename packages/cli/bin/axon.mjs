#!/usr/bin/env -S node --max-semi-space-size=64 --heap-growing-percent=50
// Runs the TypeScript CLI through tsx, so `npx axon` works straight after `npm ci`.
// --max-semi-space-size=64 (MiB): a /sync allocates short-lived objects; V8's default young
// generation (16 MiB semi-spaces) made garbage collection the server's largest cost, and 64 cut
// its CPU per woken /sync by about a sixth (docs/performance.md, "Optimisations").
// --heap-growing-percent=50: V8 otherwise lets the old generation grow to several times what is
// live before a full collection; long-polls promote their short-lived objects there, so with
// 10,000 users the RSS held 300 MiB of garbage (live heap 140 MiB). Both flags apply to every
// thread, the front thread included.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/axon.ts");
await main(process.argv);
