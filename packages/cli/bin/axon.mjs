#!/usr/bin/env -S node --max-semi-space-size=64
// Runs the TypeScript CLI through tsx, so `npx axon` works straight after `npm ci`.
// --max-semi-space-size=64 (MiB): a /sync allocates short-lived objects; V8's default young
// generation (16 MiB semi-spaces) made garbage collection the server's largest cost, and 64 cut
// its CPU per woken /sync by about a sixth (docs/performance.md, "Optimisations").
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/axon.ts");
await main(process.argv);
