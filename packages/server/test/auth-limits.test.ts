import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { registerUser, serverPool, type TestServer } from "./support";

const V3 = "/_matrix/client/v3";

/** POST /login over inject from `from` (the peer address), with optional X-Forwarded-For. */
async function login(t: TestServer, user: string, password: string, from = "127.0.0.1", forwardedFor?: string) {
  const res = await t.server.app.inject({
    method: "POST",
    url: `${V3}/login`,
    remoteAddress: from,
    headers: { "content-type": "application/json", ...(forwardedFor && { "x-forwarded-for": forwardedFor }) },
    payload: JSON.stringify({ type: "m.login.password", identifier: { type: "m.id.user", user }, password }),
  });
  return { status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) as Record<string, unknown> };
}

async function register(t: TestServer, from: string) {
  const res = await t.server.app.inject({ method: "POST", url: `${V3}/register`, remoteAddress: from, payload: JSON.stringify({ username: `r${Math.random().toString(36).slice(2, 9)}`, password: "pw", auth: { type: "m.login.dummy" } }) });
  return { status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) as Record<string, unknown> };
}

function assertLimited(res: { status: number; headers: Record<string, unknown>; body: Record<string, unknown> }) {
  assert.equal(res.status, 429);
  assert.equal(res.body.errcode, "M_LIMIT_EXCEEDED");
  assert.equal(typeof res.body.retry_after_ms, "number");
  assert.ok(Number(res.body.retry_after_ms) > 0);
  assert.equal(Number(res.headers["retry-after"]), Math.ceil(Number(res.body.retry_after_ms) / 1000));
}

describe("rate limits on /login and /register", () => {
  const pool = serverPool({ rate_limits: { login: { per_second: 1, burst: 3 }, register: { per_second: 0.5, burst: 2 } }, listen: { trusted_proxies: ["10.0.0.1"] } });
  after(pool.closeAll);

  it("per client address: the burst, then 429 with Retry-After and retry_after_ms, then a token per second", async () => {
    const t = await pool.create();
    await registerUser(t, "alice", "right");
    await registerUser(t, "bob", "right");
    // Wrong passwords and other accounts count too: it is the address that is limited.
    assert.equal((await login(t, "alice", "wrong", "198.51.100.1")).status, 403);
    assert.equal((await login(t, "bob", "right", "198.51.100.1")).status, 200);
    assert.equal((await login(t, "nobody", "x", "198.51.100.1")).status, 403);
    assertLimited(await login(t, "alice", "right", "198.51.100.1"));
    // Another address is not affected; nor is anything but /login.
    assert.equal((await login(t, "alice", "right", "198.51.100.2")).status, 200);
    assert.equal((await t.request("GET", "/_matrix/client/versions")).status, 200);
    t.clock.advance(1000);
    assert.equal((await login(t, "alice", "right", "198.51.100.1")).status, 200);
  });

  it("per account: guessing one password from many addresses is limited too", async () => {
    const t = await pool.create();
    await registerUser(t, "carol", "right");
    for (let i = 1; i <= 3; i++) assert.equal((await login(t, "carol", `guess${i}`, `203.0.113.${i}`)).status, 403);
    assertLimited(await login(t, "carol", "guess4", "203.0.113.4"));
    // Any spelling of the account counts as the same account.
    assertLimited(await login(t, "@CAROL:localhost", "right", "203.0.113.5"));
    await registerUser(t, "dave", "right");
    assert.equal((await login(t, "dave", "right", "203.0.113.6")).status, 200);
  });

  it("behind a trusted proxy each client has its own limit; an untrusted X-Forwarded-For is ignored", async () => {
    const t = await pool.create();
    await registerUser(t, "erin", "right");
    await registerUser(t, "frank", "right");
    for (let i = 0; i < 3; i++) assert.equal((await login(t, i % 2 ? "erin" : "frank", "right", "10.0.0.1", "198.51.100.7")).status, 200);
    assertLimited(await login(t, "erin", "right", "10.0.0.1", "198.51.100.7"));
    assert.equal((await login(t, "frank", "right", "10.0.0.1", "198.51.100.8")).status, 200);
    // Not a trusted proxy: its header changes nothing, the peer is the client.
    for (let i = 0; i < 3; i++) await login(t, "nobody", "x", "10.0.0.2", `192.0.2.${i}`);
    assertLimited(await login(t, "nobody", "x", "10.0.0.2", "192.0.2.99"));
  });

  it("/register is limited per client address", async () => {
    const t = await pool.create();
    assert.equal((await register(t, "198.51.100.20")).status, 200);
    assert.equal((await register(t, "198.51.100.20")).status, 200);
    assertLimited(await register(t, "198.51.100.20"));
    assert.equal((await register(t, "198.51.100.21")).status, 200);
    t.clock.advance(2000);
    assert.equal((await register(t, "198.51.100.20")).status, 200);
  });

  for (const frontThread of [true, false]) {
    it(`over a socket (front_thread ${frontThread}) the limit applies to the connection's address`, async () => {
      const t = await pool.create({ listen: { front_thread: frontThread } });
      const base = await t.server.listen();
      const attempt = () =>
        fetch(`${base}${V3}/login`, { method: "POST", body: JSON.stringify({ type: "m.login.password", user: "nobody", password: "x" }) });
      for (let i = 0; i < 3; i++) assert.equal((await attempt()).status, 403);
      const res = await attempt();
      const body = (await res.json()) as Record<string, unknown>;
      assertLimited({ status: res.status, headers: { "retry-after": res.headers.get("retry-after") }, body });
    });
  }

  it("per_second 0 disables the limits", async () => {
    const t = await pool.create({ rate_limits: { login: { per_second: 0 }, register: { per_second: 0 } } });
    for (let i = 0; i < 12; i++) assert.equal((await login(t, "nobody", "x")).status, 403);
    for (let i = 0; i < 12; i++) assert.equal((await register(t, "127.0.0.1")).status, 200);
  });

  it("a failed login costs the same time whether or not the account exists", async () => {
    const t = await pool.create({ rate_limits: { login: { per_second: 0 } } });
    await registerUser(t, "gina", "right");
    const once = async (user: string) => {
      const start = performance.now();
      assert.equal((await login(t, user, "wrong")).status, 403);
      return performance.now() - start;
    };
    await once("nobody"); // the dummy hash is made on first use
    // Interleaved, and the fastest of each: other load on the box only ever adds time.
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await once("gina"));
      unknown.push(await once("nobody"));
    }
    const [k, u] = [Math.min(...known), Math.min(...unknown)];
    // A password check is tens of milliseconds of scrypt; skipping it would be a small fraction of that.
    assert.ok(u > k * 0.4 && u < k * 2.5, `known ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`);
  });
});
