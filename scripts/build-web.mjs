// Builds the web page (packages/web/src) into packages/web/dist: one hashed script, one hashed
// stylesheet and an index.html naming them. Run by `npm ci` (the root `prepare` script) and by
// scripts/test.mjs; importable, so a test can build the page when it is missing.
//
//   node scripts/build-web.mjs            # builds into packages/web/dist
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
export const WEB_SRC = join(root, "packages/web/src");
export const WEB_DIST = join(root, "packages/web/dist");

/**
 * Bundles the page into `outdir` and returns the names of the files written. Idempotent: the same
 * sources give the same names and bytes; files of an earlier build that are no longer named are
 * removed. Every file is written beside its final name and renamed into place, so a server reading
 * the folder meanwhile never sees half a file.
 */
export async function buildWeb({ outdir = WEB_DIST } = {}) {
  const result = await build({
    entryPoints: [join(WEB_SRC, "main.ts")],
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2020",
    platform: "browser",
    entryNames: "[name]-[hash]",
    outdir,
    write: false,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
  });
  const outputs = result.outputFiles.map((f) => ({ name: basename(f.path), contents: f.contents }));
  const script = outputs.find((f) => f.name.endsWith(".js"));
  const style = outputs.find((f) => f.name.endsWith(".css"));
  if (!script || !style) throw new Error(`build-web: expected one .js and one .css, got ${outputs.map((f) => f.name).join(", ")}`);
  outputs.push({ name: "index.html", contents: Buffer.from(indexHtml(script.name, style.name)) });

  mkdirSync(outdir, { recursive: true });
  for (const f of outputs) {
    const tmp = join(outdir, `.${f.name}.${process.pid}.tmp`);
    writeFileSync(tmp, f.contents);
    renameSync(tmp, join(outdir, f.name));
  }
  const names = new Set(outputs.map((f) => f.name));
  for (const old of readdirSync(outdir)) if (!names.has(old) && !old.endsWith(".tmp")) rmSync(join(outdir, old), { force: true });
  return outputs.map((f) => ({ name: f.name, bytes: f.contents.byteLength }));
}

/** Builds into the default folder unless it already holds a page (for tests run one by one). */
export async function ensureWebBuilt() {
  if (!existsSync(join(WEB_DIST, "index.html"))) await buildWeb();
  return WEB_DIST;
}

function indexHtml(script, style) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Axon</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="./${style}">
<script type="module" src="./${script}"></script>
</head>
<body>
<noscript>This page needs JavaScript.</noscript>
<div id="app"></div>
</body>
</html>
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const files = await buildWeb();
  const list = files.map((f) => `${f.name} ${f.bytes} B`).join(", ");
  console.log(`build-web: ${relative(process.cwd(), WEB_DIST) || "."}: ${list} (${Math.round(performance.now() - started)} ms)`);
}
