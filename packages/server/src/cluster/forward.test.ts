// Forwarding from a follower to the owner (issue 14). The follower is the real app (buildApp on a
// test server's services) with forwarding on; the owner a plain HTTP server that records what it
// gets and can misbehave. Also the owner's side: the sync token and the client address it believes.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createTestServer, registerUser, type TestServer, type TestUser } from "../../test/support";
import { buildApp, MAX_BODY } from "../http/app";
import { FrontDispatch } from "../http/front-dispatch";
import { AuthLimits } from "../limits/auth-limits";
import { createLogger } from "../log";
import { CLIENT_IP_HEADER, FORWARDED_HEADER, NOT_OWNER_HEADER, SYNC_TOKEN_HEADER, type ForwardOptions } from "./forward";

const SECRET = "s3cret-of-the-cluster";
const V3 = "/_matrix/client/v3";
const log = createLogger("silent");

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
};

/** A stand-in owner: records every request (body read whole), answers with `handler` (default 200 {ok}). */
class FakeOwner {
  seen: Seen[] = [];
  handler: Handler = (_req, res) => json(res, 200, { ok: true });
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      this.seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      this.handler(req, res, body);
    });
  });
  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on (for now). */
async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

let t: TestServer;
let alice: TestUser;
const apps: FastifyInstance[] = [];
before(async () => {
  t = await createTestServer({ web: { enabled: false }, media: { max_upload_size: "8M" }, rate_limits: { login: { per_second: 0.001, burst: 2 } } });
  alice = await registerUser(t, "alice");
});
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await t.close();
});

/** A follower: the real app on the test server's services, forwarding to `owner`. */
async function follower(owner: () => string | null, o: Partial<ForwardOptions> = {}): Promise<FastifyInstance> {
  const app = await buildApp(t.server.deps, log, { forward: { isOwner: () => false, ownerUrl: async () => owner(), secret: SECRET, log, ...o } });
  apps.push(app);
  return app;
}

async function listening(app: FastifyInstance): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("a follower forwards to the owner", () => {
  let owner: FakeOwner;
  let ownerUrl: string;
  let app: FastifyInstance;
  let waited: { token: string; maxMs: number }[];
  before(async () => {
    owner = new FakeOwner();
    ownerUrl = await owner.listen();
    waited = [];
    app = await follower(() => ownerUrl, { waitForToken: async (token, maxMs) => void waited.push({ token, maxMs }), tokenWaitMs: 300 });
  });
  after(() => owner.close());

  it("a JSON PUT: method, path and query, body, auth, and the secret and client address; hop-by-hop headers dropped", async () => {
    owner.seen = [];
    owner.handler = (_req, res) => json(res, 200, { event_id: "$e1" }, { "x-custom": "kept", "set-cookie": "a=b", connection: "keep-alive", "keep-alive": "timeout=5" });
    const res = await app.inject({
      method: "PUT",
      url: `${V3}/rooms/!r:localhost/send/m.room.message/txn1?ts=5&x=%20y`,
      headers: {
        authorization: "Bearer tok",
        "content-type": "application/json",
        connection: "keep-alive, x-hop",
        "x-hop": "dropped",
        "keep-alive": "timeout=5",
        "proxy-authorization": "Basic x",
        te: "trailers",
        [FORWARDED_HEADER]: "a guess",
        [CLIENT_IP_HEADER]: "6.6.6.6",
        "x-forwarded-for": "6.6.6.6",
      },
      payload: '{"body":"hello","msgtype":"m.text"}',
      remoteAddress: "203.0.113.9",
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { event_id: "$e1" });
    assert.equal(res.headers["x-custom"], "kept");
    assert.deepEqual(res.headers["set-cookie"], ["a=b"]);
    assert.equal(res.headers["keep-alive"], undefined);
    const seen = owner.seen[0]!;
    assert.equal(seen.method, "PUT");
    assert.equal(seen.url, `${V3}/rooms/!r:localhost/send/m.room.message/txn1?ts=5&x=%20y`);
    assert.equal(seen.body.toString(), '{"body":"hello","msgtype":"m.text"}');
    assert.equal(seen.headers.authorization, "Bearer tok");
    assert.equal(seen.headers["content-type"], "application/json");
    assert.equal(seen.headers["content-length"], String(seen.body.length));
    assert.equal(seen.headers[FORWARDED_HEADER], SECRET, "the client's own x-axon-forwarded is replaced");
    assert.equal(seen.headers[CLIENT_IP_HEADER], "203.0.113.9", "the real peer, not the client's claim");
    assert.equal(seen.headers.host, new URL(ownerUrl).host);
    for (const h of ["x-hop", "proxy-authorization", "te", "keep-alive"]) assert.equal(seen.headers[h], undefined, h);
  });

  it("a POST answered 4xx: the owner's Matrix error as it is", async () => {
    owner.handler = (_req, res) => json(res, 403, { errcode: "M_FORBIDDEN", error: "You are not invited to this room." });
    const res = await app.inject({ method: "POST", url: `${V3}/join/!r:localhost`, headers: { "content-type": "application/json" }, payload: "{}" });
    assert.equal(res.statusCode, 403);
    assert.deepEqual(res.json(), { errcode: "M_FORBIDDEN", error: "You are not invited to this room." });
    assert.equal(owner.seen.at(-1)?.body.toString(), "{}");
  });

  it("a chunked answer gets its length; a GET and a DELETE without body", async () => {
    owner.handler = (req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"method":');
      res.end(`"${req.method}"}`);
    };
    for (const method of ["GET", "DELETE"] as const) {
      const res = await app.inject({ method, url: `${V3}/devices/ABC` });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { method });
      assert.equal(res.headers["content-length"], String(res.rawPayload.length));
      assert.equal(owner.seen.at(-1)?.body.length, 0);
    }
  });

  it("a 3 MB upload streams to the owner and a 3 MB download back, intact, over real sockets", async () => {
    const base = await listening(await follower(() => ownerUrl));
    const file = randomBytes(3 * 1024 * 1024);
    owner.handler = (req, res, body) => {
      if (req.method === "POST") return json(res, 200, { content_uri: "mxc://localhost/x", sha: sha(body) });
      res.writeHead(200, { "content-type": "application/octet-stream" }); // chunked
      for (let i = 0; i < file.length; i += 65536) res.write(file.subarray(i, i + 65536));
      res.end();
    };
    const up = await fetch(`${base}/_matrix/media/v3/upload?filename=a.bin`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: file });
    assert.equal(up.status, 200);
    assert.deepEqual(await up.json(), { content_uri: "mxc://localhost/x", sha: sha(file) });
    assert.equal(owner.seen.at(-1)?.headers["content-length"], String(file.length));
    const down = await fetch(`${base}/_matrix/client/v1/media/download/localhost/x`);
    assert.equal(down.status, 200);
    assert.equal(sha(new Uint8Array(await down.arrayBuffer())), sha(file));
  });

  it("GET /sync, preflights, /versions, /.well-known and /health stay here", async () => {
    owner.seen = [];
    const sync = await app.inject({ method: "GET", url: `${V3}/sync?timeout=0`, headers: { authorization: `Bearer ${alice.token}` } });
    assert.equal(sync.statusCode, 200);
    assert.ok(sync.json().next_batch);
    const pre = await app.inject({ method: "OPTIONS", url: `${V3}/rooms/x/send/m.room.message/t`, headers: { origin: "https://app.example", "access-control-request-method": "PUT" } });
    assert.equal(pre.statusCode, 204);
    assert.equal(pre.headers["access-control-allow-origin"], "*");
    for (const url of ["/_matrix/client/versions", "/.well-known/matrix/client", "/health"]) assert.equal((await app.inject({ method: "GET", url })).statusCode, 200, url);
    assert.equal(owner.seen.length, 0);
  });

  it("waits for the owner's sync token before answering, and does not pass the header on", async () => {
    waited.length = 0;
    owner.handler = (_req, res) => json(res, 200, { event_id: "$e2" }, { [SYNC_TOKEN_HEADER]: "s72_5_0" });
    const res = await app.inject({ method: "PUT", url: `${V3}/rooms/!r:localhost/send/m.room.message/txn2`, payload: "{}" });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(waited, [{ token: "s72_5_0", maxMs: 300 }]);
    assert.equal(res.headers[SYNC_TOKEN_HEADER], undefined);
    // A wait that never ends is cut at tokenWaitMs.
    const stuck = await follower(() => ownerUrl, { waitForToken: () => new Promise(() => undefined), tokenWaitMs: 200 });
    const started = Date.now();
    assert.equal((await stuck.inject({ method: "POST", url: `${V3}/createRoom`, payload: "{}" })).statusCode, 200);
    assert.ok(Date.now() - started >= 190);
  });

  it("a request with the secret at a process that is not the owner: 503, never forwarded again; a wrong secret is a client's", async () => {
    owner.seen = [];
    const res = await app.inject({ method: "POST", url: `${V3}/createRoom`, headers: { [FORWARDED_HEADER]: SECRET }, payload: "{}" });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().errcode, "M_UNKNOWN");
    assert.equal(res.headers[NOT_OWNER_HEADER], "1");
    assert.equal(owner.seen.length, 0);
    owner.handler = (_req, res) => json(res, 200, {});
    const wrong = await app.inject({ method: "POST", url: `${V3}/createRoom`, headers: { [FORWARDED_HEADER]: "wrong", [CLIENT_IP_HEADER]: "6.6.6.6" }, payload: "{}", remoteAddress: "198.51.100.4" });
    assert.equal(wrong.statusCode, 200);
    assert.equal(owner.seen[0]?.headers[FORWARDED_HEADER], SECRET);
    assert.equal(owner.seen[0]?.headers[CLIENT_IP_HEADER], "198.51.100.4");
  });
});

describe("when the owner fails", () => {
  it("down at first, up within 2 s: the request waits and succeeds", async () => {
    const port = await freePort();
    const app = await follower(() => `http://127.0.0.1:${port}`);
    const owner = new FakeOwner();
    const started = Date.now();
    const later = setTimeout(() => void owner.listen(port), 1200);
    try {
      const res = await app.inject({ method: "POST", url: `${V3}/createRoom`, payload: '{"name":"x"}' });
      assert.equal(res.statusCode, 200);
      assert.ok(Date.now() - started >= 1100);
      assert.equal(owner.seen[0]?.body.toString(), '{"name":"x"}', "the body was kept for the successful try");
    } finally {
      clearTimeout(later);
      await owner.close();
    }
  });

  it("down for good: 503 M_UNKNOWN with Retry-After after about 5 s", async () => {
    const port = await freePort();
    const app = await follower(() => `http://127.0.0.1:${port}`);
    const started = Date.now();
    const res = await app.inject({ method: "POST", url: `${V3}/createRoom`, payload: "{}" });
    const took = Date.now() - started;
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), { errcode: "M_UNKNOWN", error: "No owner process is reachable; try again." });
    assert.ok(res.headers["retry-after"]);
    assert.ok(took >= 4000 && took < 6500, `took ${took} ms`);
  });

  it("no owner recorded, or the record names this process: 503; becoming the owner meanwhile: answered here", async () => {
    const none = await follower(() => null, { retryForMs: 300 });
    assert.equal((await none.inject({ method: "GET", url: `${V3}/account/whoami` })).statusCode, 503);
    const self = await follower(() => "http://127.0.0.1:1/", { retryForMs: 300, selfUrl: "http://127.0.0.1:1" });
    assert.equal((await self.inject({ method: "GET", url: `${V3}/account/whoami` })).statusCode, 503);
    const garbage = await follower(() => "not a url", { retryForMs: 300 });
    assert.equal((await garbage.inject({ method: "GET", url: `${V3}/account/whoami` })).statusCode, 503);
    const failing = await buildApp(t.server.deps, log, { forward: { isOwner: () => false, ownerUrl: () => Promise.reject(new Error("db down")), secret: SECRET, log, retryForMs: 300 } });
    apps.push(failing);
    assert.equal((await failing.inject({ method: "GET", url: `${V3}/account/whoami` })).statusCode, 503);
    let owner = false;
    const promoted = await follower(() => null, { isOwner: () => owner });
    setTimeout(() => (owner = true), 300);
    const res = await promoted.inject({ method: "GET", url: `${V3}/account/whoami`, headers: { authorization: `Bearer ${alice.token}` } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().user_id, alice.userId);
  });

  it("closes the connection mid-answer or without one: 502 with a Matrix error (in-process and over a socket)", async () => {
    const owner = new FakeOwner();
    const url = await owner.listen();
    const app = await follower(() => url);
    const base = await listening(await follower(() => url));
    try {
      for (const misbehave of [(res: ServerResponse) => (res.writeHead(200, { "content-length": "100" }), res.write("0123456789"), setTimeout(() => res.socket?.destroy(), 50)), (res: ServerResponse) => res.socket?.destroy()]) {
        owner.handler = (_req, res) => misbehave(res);
        const res = await app.inject({ method: "PUT", url: `${V3}/profile/x/displayname`, payload: "{}" });
        assert.equal(res.statusCode, 502);
        assert.equal(res.json().errcode, "M_UNKNOWN");
        const real = await fetch(`${base}${V3}/profile/x/displayname`, { method: "PUT", body: "{}" });
        assert.equal(real.status, 502);
        assert.equal(((await real.json()) as { errcode: string }).errcode, "M_UNKNOWN");
      }
    } finally {
      await owner.close();
    }
  });

  it("a large answer cut short cuts the client's connection (its status is out); a client that goes away stops the owner's side", async () => {
    const owner = new FakeOwner();
    const url = await owner.listen();
    const base = await listening(await follower(() => url));
    let ownerSawClose: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (ownerSawClose = resolve));
    try {
      owner.handler = (_req, res) => {
        res.writeHead(200, { "content-length": String(3 * 1024 * 1024) });
        res.write(randomBytes(1024 * 1024), () => setTimeout(() => res.socket?.destroy(), 50));
      };
      const res = await fetch(`${base}/_matrix/client/v1/media/download/localhost/big`);
      assert.equal(res.status, 200);
      await assert.rejects(res.arrayBuffer());
      owner.handler = (_req, res) => res.once("close", () => ownerSawClose());
      const ac = new AbortController();
      const pending = fetch(`${base}${V3}/joined_rooms`, { signal: ac.signal });
      setTimeout(() => ac.abort(), 200);
      await assert.rejects(pending);
      await closed;
    } finally {
      await owner.close();
    }
  });

  it("no data for the idle timeout: 504", async () => {
    const owner = new FakeOwner();
    const url = await owner.listen();
    owner.handler = () => undefined;
    const app = await follower(() => url, { idleTimeoutMs: 300 });
    try {
      const res = await app.inject({ method: "POST", url: `${V3}/createRoom`, payload: "{}" });
      assert.equal(res.statusCode, 504);
      assert.equal(res.json().errcode, "M_UNKNOWN");
    } finally {
      await owner.close();
    }
  });

  it("a former owner's 'not the owner' makes a body-less request ask again", async () => {
    const old = new FakeOwner();
    const current = new FakeOwner();
    const urls = [await old.listen(), await current.listen()];
    old.handler = (_req, res) => json(res, 503, { errcode: "M_UNKNOWN", error: "not owner" }, { [NOT_OWNER_HEADER]: "1" });
    let asked = 0;
    const app = await follower(() => urls[Math.min(asked++, 1)]!);
    try {
      const res = await app.inject({ method: "GET", url: `${V3}/joined_rooms` });
      assert.equal(res.statusCode, 200);
      assert.equal(old.seen.length, 1);
      assert.equal(current.seen.length, 1);
    } finally {
      await old.close();
      await current.close();
    }
  });
});

describe("the owner's side", () => {
  it("puts its sync token on answers to forwarded requests only, and believes x-axon-client-ip only with the secret", async () => {
    const deps = { ...t.server.deps, authLimits: new AuthLimits(t.config.rate_limits, [], t.clock, SECRET) };
    const app = await buildApp(deps, log, { forward: { isOwner: () => true, ownerUrl: async () => null, secret: SECRET, currentToken: () => "s9_1", log } });
    apps.push(app);
    const fwd = await app.inject({ method: "GET", url: "/_matrix/client/versions", headers: { [FORWARDED_HEADER]: SECRET } });
    assert.equal(fwd.headers[SYNC_TOKEN_HEADER], "s9_1");
    const direct = await app.inject({ method: "GET", url: "/_matrix/client/versions" });
    assert.equal(direct.headers[SYNC_TOKEN_HEADER], undefined);
    // Login's per-address limit (burst 2): forwarded requests count against the client the peer names.
    const login = (ip: string, secret: string) =>
      app.inject({
        method: "POST",
        url: `${V3}/login`,
        headers: { "content-type": "application/json", [FORWARDED_HEADER]: secret, [CLIENT_IP_HEADER]: ip },
        payload: { type: "m.login.password", identifier: { type: "m.id.user", user: `nobody${ip}` }, password: "x" },
        remoteAddress: "10.0.0.2",
      });
    for (let i = 1; i <= 4; i++) assert.notEqual((await login(`192.0.2.${i}`, SECRET)).statusCode, 429, `client ${i}`);
    const codes = [];
    for (let i = 1; i <= 3; i++) codes.push((await login(`192.0.2.${10 + i}`, "wrong")).statusCode);
    assert.equal(codes[2], 429, "with a wrong secret every request is the peer's own address");
  });
});

describe("through the front thread", () => {
  it("forwards what is not /sync (the body whole), answers /sync itself", async () => {
    const owner = new FakeOwner();
    const url = await owner.listen();
    owner.handler = (_req, res, body) => json(res, 200, { got: body.length });
    const app = await follower(() => url);
    const front = await FrontDispatch.start(
      { host: "127.0.0.1", port: 0, backlog: 511, acceptDescriptors: 1, maxBody: MAX_BODY, maxUploadBody: t.config.media.max_upload_size, keepAliveTimeoutMs: 75_000, logLevel: "silent" },
      app,
      t.server.deps,
      log,
    );
    try {
      const base = `http://127.0.0.1:${front.port}`;
      const file = randomBytes(3 * 1024 * 1024);
      const up = await fetch(`${base}/_matrix/media/v3/upload`, { method: "POST", headers: { authorization: "Bearer x" }, body: file });
      assert.deepEqual(await up.json(), { got: file.length });
      assert.equal(sha(owner.seen[0]!.body), sha(file));
      assert.equal(owner.seen[0]!.headers[CLIENT_IP_HEADER], "127.0.0.1");
      const sync = await fetch(`${base}${V3}/sync?timeout=0`, { headers: { authorization: `Bearer ${alice.token}` } });
      assert.equal(sync.status, 200);
      assert.equal(owner.seen.length, 1);
    } finally {
      await front.close();
      await owner.close();
    }
  });
});
