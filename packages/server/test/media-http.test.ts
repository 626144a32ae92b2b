// The media repository over HTTP: uploads, downloads, thumbnails, limits and the serving headers, on both databases.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { testDatabases } from "./databases";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createTestServer, registerUser, type TestServer, type TestUser } from "./support";

const png = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: "#c03" } }).png().toBuffer();

/** All files under a folder, recursively (the media store's content-addressed files). */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name));
  } catch {
    return [];
  }
}

async function upload(t: TestServer, user: TestUser, bytes: Buffer | string, type = "application/octet-stream", query = "") {
  const res = await t.server.app.inject({
    method: "POST",
    url: `/_matrix/media/v3/upload${query}`,
    headers: { authorization: `Bearer ${user.token}`, "content-type": type },
    payload: bytes,
  });
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
}

function get(t: TestServer, url: string, token?: string) {
  return t.server.app.inject({ method: "GET", url, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

const mediaPath = (uri: unknown) => String(uri).slice("mxc://".length);

for (const { name, skip } of await testDatabases()) {
  describe(`media repository on ${name}`, { skip }, () => {
    let t: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let dir: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "axon-media-"));
      t = await createTestServer({ media: { path: dir, max_upload_size: "3M", uploads_per_minute: 0 } }, { database: name });
      alice = await registerUser(t);
      bob = await registerUser(t);
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("uploads, and anyone signed in downloads the same bytes with the safe headers", async () => {
      const bytes = await png(40, 20);
      const up = await upload(t, alice, bytes, "image/png", "?filename=r%C3%A9d.png");
      assert.equal(up.status, 200);
      assert.match(String(up.body.content_uri), new RegExp(`^mxc://${t.config.server_name}/[A-Za-z0-9_-]+$`));
      const res = await get(t, `/_matrix/client/v1/media/download/${mediaPath(up.body.content_uri)}`, bob.token);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.rawPayload, bytes);
      assert.equal(res.headers["content-type"], "image/png");
      assert.equal(res.headers["content-disposition"], `inline; filename="r_d.png"; filename*=utf-8''r%C3%A9d.png`);
      assert.equal(res.headers["content-security-policy"], "sandbox; default-src 'none'");
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      assert.equal(res.headers["cross-origin-resource-policy"], "cross-origin");
      const named = await get(t, `/_matrix/client/v1/media/download/${mediaPath(up.body.content_uri)}/other.png`, bob.token);
      assert.equal(named.headers["content-disposition"], `inline; filename="other.png"; filename*=utf-8''other.png`);
    });

    it("serves a type that is not inline-safe as an octet-stream attachment", async () => {
      const up = await upload(t, alice, "<script>alert(1)</script>", "text/html", "?filename=x.html");
      const res = await get(t, `/_matrix/client/v1/media/download/${mediaPath(up.body.content_uri)}`, alice.token);
      assert.equal(res.headers["content-type"], "application/octet-stream");
      assert.match(String(res.headers["content-disposition"]), /^attachment; filename="x.html"/);
      assert.equal(res.headers["content-security-policy"], "sandbox; default-src 'none'");
      const svg = await upload(t, alice, "<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml");
      const svgRes = await get(t, `/_matrix/client/v1/media/download/${mediaPath(svg.body.content_uri)}`, alice.token);
      assert.equal(svgRes.headers["content-type"], "application/octet-stream");
      assert.equal(svgRes.headers["content-disposition"], "attachment");
    });

    it("stores the same bytes once, with no temporary file left", async () => {
      const bytes = Buffer.from(`same bytes ${name}`);
      const before = filesUnder(dir).length;
      const a = await upload(t, alice, bytes);
      const b = await upload(t, bob, bytes);
      assert.notEqual(a.body.content_uri, b.body.content_uri);
      const files = filesUnder(dir);
      assert.equal(files.length, before + 1);
      assert.deepEqual(filesUnder(join(dir, "tmp")), []);
    });

    it("takes uploads over 1 MiB up to media.max_upload_size, and refuses bigger ones with 413 M_TOO_LARGE", async () => {
      const ok = await upload(t, alice, Buffer.alloc(2 * 1024 * 1024, 7));
      assert.equal(ok.status, 200);
      const big = await upload(t, alice, Buffer.alloc(3 * 1024 * 1024 + 1, 7));
      assert.equal(big.status, 413);
      assert.equal(big.body.errcode, "M_TOO_LARGE");
      const json = await t.request("PUT", `/_matrix/client/v3/profile/${alice.userId}/displayname`, { token: alice.token, rawBody: JSON.stringify({ displayname: "x".repeat(2 * 1024 * 1024) }) });
      assert.equal(json.status, 413);
    });

    it("answers the media config, and needs a token for uploads and downloads", async () => {
      const cfg = await t.request("GET", "/_matrix/client/v1/media/config", { token: alice.token });
      assert.deepEqual(cfg.body, { "m.upload.size": 3 * 1024 * 1024 });
      const up = await upload(t, alice, "x");
      const anon = await get(t, `/_matrix/client/v1/media/download/${mediaPath(up.body.content_uri)}`);
      assert.equal(anon.statusCode, 401);
      assert.equal(JSON.parse(anon.body).errcode, "M_MISSING_TOKEN");
      const noToken = await t.server.app.inject({ method: "POST", url: "/_matrix/media/v3/upload", payload: "x" });
      assert.equal(JSON.parse(noToken.body).errcode, "M_MISSING_TOKEN");
    });

    it("keeps the frozen unauthenticated download shut unless the operator opens it", async () => {
      const up = await upload(t, alice, "legacy");
      const res = await get(t, `/_matrix/media/v3/download/${mediaPath(up.body.content_uri)}`);
      assert.equal(res.statusCode, 404);
      assert.equal(JSON.parse(res.body).errcode, "M_NOT_FOUND");
    });

    it("answers 404 M_NOT_FOUND for unknown ids and other servers' media", async () => {
      for (const path of [`${t.config.server_name}/nosuchmedia`, "elsewhere.example/abc"]) {
        const res = await get(t, `/_matrix/client/v1/media/download/${path}`, alice.token);
        assert.equal(res.statusCode, 404, path);
        assert.equal(JSON.parse(res.body).errcode, "M_NOT_FOUND");
      }
    });

    it("creates an id first and takes its content later, once, from its creator only", async () => {
      const made = await t.request("POST", "/_matrix/media/v1/create", { token: alice.token });
      assert.equal(made.status, 200);
      assert.equal(made.body.unused_expires_at, t.clock.now() + 24 * 3_600_000);
      const path = mediaPath(made.body.content_uri);
      const early = await get(t, `/_matrix/client/v1/media/download/${path}?timeout_ms=0`, bob.token);
      assert.equal(early.statusCode, 504);
      assert.equal(JSON.parse(early.body).errcode, "M_NOT_YET_UPLOADED");
      const put = (u: TestUser, body: string) =>
        t.server.app.inject({ method: "PUT", url: `/_matrix/media/v3/upload/${path}?filename=late.txt`, headers: { authorization: `Bearer ${u.token}`, "content-type": "text/plain" }, payload: body });
      const stranger = await put(bob, "mine");
      assert.equal(stranger.statusCode, 403);
      assert.equal(JSON.parse(stranger.body).errcode, "M_FORBIDDEN");
      assert.equal((await put(alice, "hello")).statusCode, 200);
      const again = await put(alice, "again");
      assert.equal(again.statusCode, 409);
      assert.equal(JSON.parse(again.body).errcode, "M_CANNOT_OVERWRITE_MEDIA");
      const res = await get(t, `/_matrix/client/v1/media/download/${path}`, bob.token);
      assert.equal(res.body, "hello");
      assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
      assert.match(String(res.headers["content-disposition"]), /^inline; filename="late.txt"/);
    });

    it("makes thumbnails by crop and by scale, never larger than the image, and caches them", async () => {
      const up = await upload(t, alice, await png(1000, 500), "image/png");
      const path = mediaPath(up.body.content_uri);
      const crop = await get(t, `/_matrix/client/v1/media/thumbnail/${path}?width=90&height=90&method=crop`, bob.token);
      assert.equal(crop.statusCode, 200);
      assert.equal(crop.headers["content-type"], "image/png");
      assert.equal(crop.headers["content-disposition"], `inline; filename="thumbnail.png"; filename*=utf-8''thumbnail.png`);
      assert.equal(crop.headers["x-content-type-options"], "nosniff");
      const cropMeta = await sharp(crop.rawPayload).metadata();
      assert.deepEqual([cropMeta.width, cropMeta.height], [96, 96]);
      const scale = await get(t, `/_matrix/client/v1/media/thumbnail/${path}?width=300&height=200&method=scale`, bob.token);
      const scaleMeta = await sharp(scale.rawPayload).metadata();
      assert.deepEqual([scaleMeta.width, scaleMeta.height], [320, 160]);
      const small = await upload(t, alice, await png(10, 10), "image/png");
      const notEnlarged = await get(t, `/_matrix/client/v1/media/thumbnail/${mediaPath(small.body.content_uri)}?width=640&height=480`, bob.token);
      assert.equal((await sharp(notEnlarged.rawPayload).metadata()).width, 10);
      const files = filesUnder(dir).length;
      const again = await get(t, `/_matrix/client/v1/media/thumbnail/${path}?width=90&height=90&method=crop`, alice.token);
      assert.deepEqual(again.rawPayload, crop.rawPayload);
      assert.equal(filesUnder(dir).length, files);
    });

    it("refuses thumbnails of what it does not decode, and bad sizes, with Matrix errors", async () => {
      const svg = await upload(t, alice, "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>", "image/png");
      const svgThumb = await get(t, `/_matrix/client/v1/media/thumbnail/${mediaPath(svg.body.content_uri)}?width=32&height=32`, alice.token);
      assert.equal(svgThumb.statusCode, 400);
      assert.equal(JSON.parse(svgThumb.body).errcode, "M_UNKNOWN");
      const img = await upload(t, alice, await png(50, 50), "image/png");
      const path = mediaPath(img.body.content_uri);
      for (const [query, errcode] of [
        ["height=32", "M_MISSING_PARAM"],
        ["width=-1&height=32", "M_INVALID_PARAM"],
        ["width=abc&height=32", "M_INVALID_PARAM"],
        ["width=32&height=32&method=stretch", "M_INVALID_PARAM"],
        ["width=32&height=32&animated=maybe", "M_INVALID_PARAM"],
      ] as const) {
        const res = await get(t, `/_matrix/client/v1/media/thumbnail/${path}?${query}`, alice.token);
        assert.equal(res.statusCode, 400, query);
        assert.equal(JSON.parse(res.body).errcode, errcode, query);
      }
    });
  });
}

describe("media limits and switches", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "axon-media-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("limits uploads per user per minute with 429 M_LIMIT_EXCEEDED, counted in the database", async () => {
    const t = await createTestServer({ media: { path: dir, uploads_per_minute: 2 } });
    try {
      const alice = await registerUser(t);
      const bob = await registerUser(t);
      assert.equal((await upload(t, alice, "1")).status, 200);
      t.clock.advance(10_000);
      assert.equal((await t.request("POST", "/_matrix/media/v1/create", { token: alice.token })).status, 200);
      const third = await upload(t, alice, "3");
      assert.equal(third.status, 429);
      assert.equal(third.body.errcode, "M_LIMIT_EXCEEDED");
      assert.equal(third.body.retry_after_ms, 50_000);
      assert.equal((await upload(t, bob, "other user")).status, 200);
      t.clock.advance(50_001);
      assert.equal((await upload(t, alice, "later")).status, 200);
    } finally {
      await t.close();
    }
  });

  it("serves the legacy unauthenticated download when media.legacy_unauthenticated is on", async () => {
    const t = await createTestServer({ media: { path: dir, legacy_unauthenticated: true } });
    try {
      const alice = await registerUser(t);
      const up = await upload(t, alice, "old client", "text/plain");
      const res = await get(t, `/_matrix/media/v3/download/${mediaPath(up.body.content_uri)}`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.body, "old client");
      assert.equal(res.headers["content-security-policy"], "sandbox; default-src 'none'");
    } finally {
      await t.close();
    }
  });

  it("takes a large upload through the front thread while other bodies keep the 1 MiB cap", async () => {
    const t = await createTestServer({ media: { path: dir, max_upload_size: "4M" }, listen: { front_thread: true } });
    try {
      const alice = await registerUser(t);
      const url = await t.server.listen();
      const headers = { authorization: `Bearer ${alice.token}`, "content-type": "application/octet-stream" };
      const bytes = Buffer.alloc(3 * 1024 * 1024, 1);
      const up = await fetch(`${url}/_matrix/media/v3/upload`, { method: "POST", headers, body: bytes });
      assert.equal(up.status, 200);
      const { content_uri } = (await up.json()) as { content_uri: string };
      const down = await fetch(`${url}/_matrix/client/v1/media/download/${mediaPath(content_uri)}`, { headers });
      assert.deepEqual(Buffer.from(await down.arrayBuffer()), bytes);
      const tooBig = await fetch(`${url}/_matrix/media/v3/upload`, { method: "POST", headers, body: Buffer.alloc(4 * 1024 * 1024 + 1) });
      assert.equal(tooBig.status, 413);
      assert.equal(((await tooBig.json()) as { errcode: string }).errcode, "M_TOO_LARGE");
      const json = await fetch(`${url}/_matrix/client/v3/user/${alice.userId}/filter`, { method: "POST", headers, body: Buffer.alloc(2 * 1024 * 1024, 32) });
      assert.equal(json.status, 413);
    } finally {
      await t.close();
    }
  });
});

describe("media answers match the Matrix spec schemas", { skip: specUnavailable() ?? false }, () => {
  it("upload, create and config", async () => {
    const dir = mkdtempSync(join(tmpdir(), "axon-media-"));
    const t = await createTestServer({ media: { path: dir } });
    try {
      const alice = await registerUser(t);
      const v = specValidators();
      assertMatchesSpec(await v.responseValidator("content-repo.yaml", "/media/v3/upload", "post", 200), (await upload(t, alice, "x")).body, "upload");
      assertMatchesSpec(await v.responseValidator("content-repo.yaml", "/media/v1/create", "post", 200), (await t.request("POST", "/_matrix/media/v1/create", { token: alice.token })).body, "create");
      assertMatchesSpec(await v.responseValidator("authed-content-repo.yaml", "/media/config", "get", 200), (await t.request("GET", "/_matrix/client/v1/media/config", { token: alice.token })).body, "config");
      const big = await upload(t, alice, Buffer.alloc(60 * 1024 * 1024));
      assertMatchesSpec(await v.responseValidator("content-repo.yaml", "/media/v3/upload", "post", 413), big.body, "413");
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
