// The one test command: type-check, lint, build the web page, then every test file with node's test runner.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const run = (cmd, args) => {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith(".test.ts")) out.push(p.slice(root.length));
  }
  return out;
}

const only = process.argv.slice(2);
if (only.length === 0) {
  run("bash", ["scripts/system-deps.sh"]);
  run("bash", ["scripts/services.sh"]);
  run("npx", ["tsc", "-p", "tsconfig.json", "--noEmit"]);
  run("npx", ["eslint", "."]);
  // The page the server serves at / (and the browser tests drive), from the sources as they are now.
  run(process.execPath, ["scripts/build-web.mjs"]);
}
const files = only.length ? only : [...findTests(join(root, "packages")), ...findTests(join(root, "bench"))].sort();
run(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=120000", ...files]);
