// The listening server, over real sockets, with and without the front thread: every answer must
// match what the framework gives in-process (inject), the hot /sync path included.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { createRoom, createTestServer, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
/** Headers that describe the connection, not the answer: inject simulates its own. */
const CONNECTION_HEADERS = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function answerHeaders(entries: Iterable<[string, string | string[] | number | undefined]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of entries) if (!CONNECTION_HEADERS.has(k.toLowerCase()) && v !== undefined) out[k.toLowerCase()] = String(v);
  return out;
}

interface Req {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

async function overSocket(base: string, r: Req): Promise<Answer> {
  const res = await fetch(base + r.path, { method: r.method, headers: r.headers, body: r.body });
  const headers: [string, string][] = [];
  res.headers.forEach((v, k) => headers.push([k, v]));
  return { status: res.status, headers: answerHeaders(headers), body: await res.text() };
}

async function inProcess(t: TestServer, r: Req): Promise<Answer> {
  const res = await t.server.app.inject({ method: r.method as "GET", url: r.path, headers: r.headers, payload: r.body });
  return { status: res.statusCode, headers: answerHeaders(Object.entries(res.headers)), body: res.body };
}

/** Resolves once `check` holds (polled), or fails after a second. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

for (const frontThread of [true, false]) {
  describe(`listening server, front_thread ${frontThread}`, () => {
    let t: TestServer;
    let base: string;
    let alice: TestUser;
    before(async () => {
      t = await createTestServer({ listen: { front_thread: frontThread, accept_descriptors: 2 } });
      base = await t.server.listen();
      alice = await registerUser(t);
    });
    after(() => t.close());

    test("answers exactly as the framework does in-process", async () => {
      const auth = { authorization: `Bearer ${alice.token}` };
      const cases: Req[] = [
        { method: "GET", path: "/_matrix/client/versions" },
        { method: "GET", path: `${V3}/sync` },
        { method: "GET", path: `${V3}/sync`, headers: { authorization: "Bearer nope" } },
        { method: "GET", path: `${V3}/sync?timeout=soon`, headers: auth },
        { method: "GET", path: `${V3}/sync?set_presence=away`, headers: auth },
        { method: "GET", path: `${V3}/sync?full_state=yes`, headers: auth },
        { method: "GET", path: `${V3}/sync?filter=nosuchfilter`, headers: auth },
        { method: "GET", path: `${V3}/sync?set_presence=offline`, headers: auth },
        { method: "GET", path: `/_matrix/client/r0/sync/?set_presence=offline&access_token=${alice.token}` },
        { method: "GET", path: `${V3}/account/whoami`, headers: auth },
        { method: "OPTIONS", path: `${V3}/sync`, headers: { origin: "https://app.example", "access-control-request-method": "GET" } },
        { method: "POST", path: `${V3}/register`, headers: { "content-type": "application/json" }, body: "{not json" },
        { method: "PUT", path: `${V3}/presence/${encodeURIComponent(alice.userId)}/status`, headers: { ...auth, "content-type": "application/json" }, body: '{"presence":"sideways"}' },
        { method: "GET", path: `${V3}/no/such/thing` },
        { method: "DELETE", path: "/_matrix/client/versions" },
        { method: "HEAD", path: "/_matrix/client/versions" },
        { method: "PATCH", path: `${V3}/sync`, headers: auth },
        { method: "PROPFIND", path: "/_matrix/client/versions" },
      ];
      for (const c of cases) {
        const expected = await inProcess(t, c);
        assert.deepEqual(await overSocket(base, c), expected, `${c.method} ${c.path}`);
      }
    });

    test("answers computed together keep their own lengths", async () => {
      // Pipelined requests in one write reach the main thread together and are answered in the
      // same turn: syncs of different lengths (a user in a room, one in none), each with its own
      // content-length.
      const roomy = await registerUser(t);
      await createRoom(t, roomy, { name: "a room with a name" });
      const lonely = await registerUser(t);
      const { hostname, port } = new URL(base);
      const get = (who: TestUser) => `GET ${V3}/sync?set_presence=offline HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${who.token}\r\n\r\n`;
      const socket = net.connect(Number(port), hostname);
      socket.write(get(roomy) + get(lonely) + get(roomy));
      let raw = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (raw += chunk));
      const answers = () => raw.split(/HTTP\/1\.1 /).slice(1);
      await eventually(() => answers().length === 3 && raw.endsWith("}"), "three answers arrive");
      socket.destroy();
      const rooms = answers().map((answer) => {
        const [head = "", body = ""] = answer.split("\r\n\r\n");
        assert.equal(Number(/content-length: (\d+)/i.exec(head)?.[1]), Buffer.byteLength(body), answer);
        return Object.keys((JSON.parse(body) as { rooms?: { join?: object } }).rooms?.join ?? {}).length;
      });
      assert.deepEqual(rooms, [1, 0, 1]);
    });

    test("a body sent in chunks reaches the route whole", async () => {
      const body = JSON.stringify({ presence: "unavailable", status_msg: "lunch" });
      const path = `${V3}/presence/${encodeURIComponent(alice.userId)}/status`;
      const chunks = [body.slice(0, 10), body.slice(10)].map((c) => new TextEncoder().encode(c));
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      });
      const headers = { authorization: `Bearer ${alice.token}`, "content-type": "application/json" };
      const put = await fetch(base + path, { method: "PUT", headers, body: stream, duplex: "half" } as RequestInit);
      assert.equal(put.status, 200, await put.text());
      const got = (await (await fetch(base + path, { headers })).json()) as { presence: string; status_msg: string };
      assert.deepEqual([got.presence, got.status_msg], ["unavailable", "lunch"]);
    });

    test("a long-poll is woken by a change made over another connection", async () => {
      const auth = { authorization: `Bearer ${alice.token}` };
      const first = (await (await fetch(`${base}${V3}/sync?set_presence=offline`, { headers: auth })).json()) as { next_batch: string };
      const waiting = fetch(`${base}${V3}/sync?set_presence=offline&timeout=20000&since=${first.next_batch}`, { headers: auth });
      await eventually(() => t.server.deps.notifier.waiting() === 1, "the long-poll waits");
      const put = await fetch(`${base}${V3}/presence/${encodeURIComponent(alice.userId)}/status`, {
        method: "PUT",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ presence: "org.matrix.msc3026.busy", status_msg: "in a call" }),
      });
      assert.equal(put.status, 200);
      const woken = (await (await waiting).json()) as { presence?: { events: { sender: string; content: { presence: string } }[] } };
      const mine = woken.presence?.events.find((e) => e.sender === alice.userId);
      assert.equal(mine?.content.presence, "org.matrix.msc3026.busy");
    });

    test("a client that hangs up ends its long-poll on the server", async () => {
      const first = (await (await fetch(`${base}${V3}/sync?set_presence=offline&access_token=${alice.token}`)).json()) as { next_batch: string };
      const abort = new AbortController();
      const waiting = fetch(`${base}${V3}/sync?set_presence=offline&timeout=20000&since=${first.next_batch}&access_token=${alice.token}`, { signal: abort.signal });
      await eventually(() => t.server.deps.notifier.waiting() === 1, "the long-poll waits");
      abort.abort();
      await assert.rejects(waiting);
      await eventually(() => t.server.deps.notifier.waiting() === 0, "the long-poll ended when its client went away");
    });

    test("a body over the 1 MiB cap is 413 M_TOO_LARGE, declared or streamed", async () => {
      const big = `{"a":"${"x".repeat(1024 * 1024)}"}`;
      const declared = await fetch(`${base}${V3}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: big });
      assert.equal(declared.status, 413);
      assert.equal(((await declared.json()) as { errcode: string }).errcode, "M_TOO_LARGE");
      const chunks = [new TextEncoder().encode(big.slice(0, 600_000)), new TextEncoder().encode(big.slice(600_000))];
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      });
      const streamed = await fetch(`${base}${V3}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
      assert.equal(streamed.status, 413);
      assert.equal(((await streamed.json()) as { errcode: string }).errcode, "M_TOO_LARGE");
    });
  });
}

describe("front thread start and stop", () => {
  test("close() stops listening: new connections are refused", async () => {
    const t = await createTestServer({ listen: { front_thread: true, accept_descriptors: 4 } });
    const base = new URL(await t.server.listen());
    assert.equal((await fetch(`${base.origin}/_matrix/client/versions`)).status, 200);
    await t.close();
    await assert.rejects(
      new Promise((resolve, reject) => net.connect(Number(base.port), base.hostname).once("connect", resolve).once("error", reject)),
      /ECONNREFUSED/,
    );
  });

  test("a port already taken fails listen() with the reason, and leaves nothing running", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as net.AddressInfo).port;
    const t = await createTestServer({ listen: { front_thread: true, port } });
    try {
      await assert.rejects(t.server.listen(), (err: Error & { code?: string }) => err.code === "EADDRINUSE" && /EADDRINUSE/.test(err.message));
    } finally {
      await t.close();
      holder.close();
    }
  });
});
