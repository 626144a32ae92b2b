import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";

const read = (rel: string) => JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as Record<string, unknown>;

it("the bin and npm start run node with the server's heap settings", () => {
  const shebang = readFileSync(new URL("../bin/axon.mjs", import.meta.url), "utf8").split("\n")[0];
  assert.equal(shebang, "#!/usr/bin/env -S node --max-semi-space-size=64 --heap-growing-percent=50");
  const root = read("../../../package.json") as { scripts: Record<string, string> };
  assert.equal(root.scripts.start, "packages/cli/bin/axon.mjs serve");
});

// `npm ci` links bins from the lockfile, not from package.json: without this entry `npx axon` is missing after a clean install.
it("the lockfile declares the axon bin, so npx axon works after npm ci", () => {
  const pkg = read("../package.json");
  const lock = read("../../../package-lock.json") as { packages: Record<string, { bin?: unknown }> };
  assert.deepEqual(pkg.bin, { axon: "bin/axon.mjs" });
  assert.deepEqual(lock.packages["packages/cli"]?.bin, pkg.bin);
});
