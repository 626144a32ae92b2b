#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx axon` works straight after `npm ci`.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/axon.ts");
await main(process.argv);
