// The web page at /: content types, caching, security headers and exact bytes, over real sockets
// with and without the front thread; /_matrix and /health unchanged; web.enabled: false and a
// missing build give the JSON 404.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import pino from "pino";
import { buildWeb } from "../../../scripts/build-web.mjs";
import { ASSET_CACHE, HTML_CACHE, WEB_CSP } from "../src/web/web-page";
import { createTestServer, type TestServer } from "./support";

const dist = mkdtempSync(join(tmpdir(), "axon-web-"));
/** A file that is not text, to show the bytes cross unchanged. */
const PNG = "pixel-0A1B2C3D.png";
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(4096)]);
let files: string[] = [];

before(async () => {
  await buildWeb({ outdir: dist });
  writeFileSync(join(dist, PNG), png);
  files = readdirSync(dist);
});
after(() => rmSync(dist, { recursive: true, force: true }));

const file = (name: string) => readFileSync(join(dist, name));
const named = (suffix: string) => {
  const f = files.find((n) => n.startsWith("main-") && n.endsWith(suffix));
  assert.ok(f, `a built main-*${suffix} in ${files.join(", ")}`);
  return f;
};

async function get(base: string, path: string, init: RequestInit = {}) {
  const res = await fetch(base + path, init);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function expectUnrecognized(base: string, path: string, status = 404, method = "GET") {
  const res = await get(base, path, { method });
  assert.equal(res.status, status, `${method} ${path}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/, `${method} ${path}`);
  assert.equal(JSON.parse(res.bytes.toString()).errcode, "M_UNRECOGNIZED", `${method} ${path}`);
}

for (const frontThread of [true, false]) {
  describe(`web page over a socket, front_thread ${frontThread}`, () => {
    let t: TestServer;
    let base: string;
    before(async () => {
      t = await createTestServer({ listen: { front_thread: frontThread, accept_descriptors: 1 } }, { webRoot: dist });
      base = await t.server.listen();
    });
    after(() => t.close());

    test("/ and /index.html: the page, never cached without asking, with its security headers", async () => {
      for (const path of ["/", "/index.html"]) {
        const res = await get(base, path);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
        assert.equal(res.headers.get("cache-control"), HTML_CACHE, path);
        assert.equal(res.headers.get("content-security-policy"), WEB_CSP, path);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
        assert.deepEqual(res.bytes, file("index.html"), path);
      }
      assert.match(WEB_CSP, /connect-src \*/);
      assert.match(WEB_CSP, /script-src 'self'(;|$)/);
    });

    test("the files index.html names are served, hashed and cached for a year", async () => {
      const html = file("index.html").toString();
      const script = named(".js");
      const style = named(".css");
      assert.ok(html.includes(`src="./${script}"`), "index.html names the script");
      assert.ok(html.includes(`href="./${style}"`), "index.html names the stylesheet");
      for (const [name, type] of [
        [script, /^(application|text)\/javascript; charset=utf-8$/],
        [style, /^text\/css; charset=utf-8$/],
        [PNG, /^image\/png$/],
      ] as const) {
        const res = await get(base, `/${name}`);
        assert.equal(res.status, 200, name);
        assert.match(res.headers.get("content-type") ?? "", type, name);
        assert.equal(res.headers.get("cache-control"), ASSET_CACHE, name);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff", name);
        assert.equal(Number(res.headers.get("content-length")), file(name).byteLength, name);
        assert.deepEqual(res.bytes, file(name), `${name}: the same bytes`);
      }
    });

    test("HEAD and conditional GET", async () => {
      const head = await get(base, "/", { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.bytes.byteLength, 0);
      assert.equal(Number(head.headers.get("content-length")), file("index.html").byteLength);
      const etag = head.headers.get("etag");
      assert.ok(etag, "an etag");
      // As a browser revalidates (fetch itself would add cache-control: no-cache, which asks for the body).
      const again = await get(base, "/", { headers: { "if-none-match": etag, "cache-control": "max-age=0" } });
      assert.equal(again.status, 304);
      assert.equal(again.bytes.byteLength, 0);
    });

    test("anything else is the API's JSON answer, as before", async () => {
      await expectUnrecognized(base, "/nope.js");
      await expectUnrecognized(base, "/main.js");
      await expectUnrecognized(base, "/_matrix/client/v3/no/such/thing");
      await expectUnrecognized(base, "/_matrix/index.html");
      await expectUnrecognized(base, "/_matrix/client/versions", 405, "DELETE");
      await expectUnrecognized(base, "/", 405, "POST");
      await expectUnrecognized(base, "/../package.json");
      await expectUnrecognized(base, "/%2e%2e/package.json");
      const versions = await get(base, "/_matrix/client/versions");
      assert.equal(versions.status, 200);
      assert.ok(Array.isArray(JSON.parse(versions.bytes.toString()).versions));
      assert.equal(versions.headers.get("content-security-policy"), null, "the API's answers carry no page headers");
      const health = await get(base, "/health");
      assert.deepEqual(JSON.parse(health.bytes.toString()), { status: "ok" });
    });
  });
}

describe("no web page", () => {
  test("web.enabled: false: / and the page's files are the JSON 404", async () => {
    const t = await createTestServer({ web: { enabled: false } }, { webRoot: dist });
    try {
      for (const path of ["/", "/index.html", `/${named(".js")}`]) {
        const res = await t.request("GET", path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body.errcode, "M_UNRECOGNIZED", path);
      }
    } finally {
      await t.close();
    }
  });

  test("not built: a warning at start, / is the JSON 404, the API works", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const empty = mkdtempSync(join(tmpdir(), "axon-web-empty-"));
    const t = await createTestServer({}, { webRoot: join(empty, "dist"), logger: pino({ level: "warn" }, sink) });
    try {
      const warning = lines.find((l) => l.level === 40 && /web page is not built/.test(String(l.msg)));
      assert.ok(warning, `a warning, got ${JSON.stringify(lines)}`);
      const res = await t.request("GET", "/");
      assert.equal(res.status, 404);
      assert.equal(res.body.errcode, "M_UNRECOGNIZED");
      assert.equal((await t.request("GET", "/_matrix/client/versions")).status, 200);
    } finally {
      await t.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
