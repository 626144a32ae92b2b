import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { RoomId } from "@axon/protocol";
import { createTestServer, registerUser, serverPool, type TestServer, type TestUser } from "./support";

const path = (u: TestUser) => `/_matrix/client/v3/presence/${encodeURIComponent(u.userId)}/status`;
const put = (t: TestServer, u: TestUser, body: unknown, who = u) => t.request("PUT", path(u), { token: who.token, body });
const get = (t: TestServer, viewer: TestUser, target: TestUser) => t.request("GET", path(target), { token: viewer.token });

/** Puts both users in a room through the membership index (rooms are tested on their own). */
function shareRoom(t: TestServer, room: string, ...users: TestUser[]) {
  for (const u of users) t.server.deps.membership.join(room as RoomId, u.userId);
}

describe("PUT/GET /presence/{userId}/status", () => {
  const pool = serverPool({ rate_limits: { presence: { per_second: 0 } } });
  after(pool.closeAll);
  const server = pool.create;

  it("every busy spelling is stored as busy and shown as org.matrix.msc3026.busy", async () => {
    const t = await server();
    const a = await registerUser(t);
    for (const spelling of ["busy", "org.matrix.busy", "org.matrix.msc3026.busy"]) {
      await put(t, a, { presence: "online" });
      assert.equal((await put(t, a, { presence: spelling, status_msg: "on a call" })).status, 200);
      const res = await get(t, a, a);
      assert.equal(res.status, 200);
      assert.equal(res.body.presence, "org.matrix.msc3026.busy");
      assert.equal(res.body.status_msg, "on a call");
      assert.equal(Number.isInteger(res.body.last_active_ago), true);
      assert.equal("currently_active" in res.body, false, "currently_active only when online");
    }
  });

  it("online shows currently_active; a cleared status_msg is omitted, never null", async () => {
    const t = await server({ presence: { last_active_granularity: "10s" } });
    const a = await registerUser(t);
    await put(t, a, { presence: "online", status_msg: "hi" });
    assert.deepEqual((await get(t, a, a)).body, { presence: "online", last_active_ago: 0, currently_active: true, status_msg: "hi" });
    await put(t, a, { presence: "online", status_msg: null });
    const body = (await get(t, a, a)).body;
    assert.equal("status_msg" in body, false);
    t.clock.advance(10_000);
    const later = (await get(t, a, a)).body;
    assert.equal(later.presence, "online");
    assert.equal(later.currently_active, false, "past last_active_granularity");
    assert.equal(later.last_active_ago, 10_000);
  });

  it("rejects bad input with the right error and changes nothing", async () => {
    const t = await server();
    const a = await registerUser(t);
    const b = await registerUser(t);
    await put(t, a, { presence: "unavailable", status_msg: "before" });
    const cases: [unknown, number, string][] = [
      [{}, 400, "M_MISSING_PARAM"],
      [{ presence: "away" }, 400, "M_INVALID_PARAM"],
      [{ presence: 3 }, 400, "M_INVALID_PARAM"],
      [{ presence: "online", status_msg: 5 }, 400, "M_INVALID_PARAM"],
      [{ presence: "online", status_msg: "x".repeat(1025) }, 400, "M_INVALID_PARAM"],
      [[1, 2], 400, "M_BAD_JSON"],
    ];
    for (const [body, status, errcode] of cases) {
      const res = await put(t, a, body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.errcode, errcode, JSON.stringify(body));
    }
    const notJson = await t.request("PUT", path(a), { token: a.token, rawBody: "{nope" });
    assert.equal(notJson.body.errcode, "M_NOT_JSON");
    const invalid = await put(t, a, { presence: "away" });
    assert.match(invalid.body.error, /online.*unavailable.*offline/);
    const other = await put(t, a, { presence: "online" }, b);
    assert.equal(other.status, 403);
    assert.equal(other.body.errcode, "M_FORBIDDEN");
    const now = await get(t, a, a);
    assert.equal(now.body.presence, "unavailable");
    assert.equal(now.body.status_msg, "before");
  });

  it("status_msg length counts characters, not bytes", async () => {
    const t = await server({ presence: { max_status_length: 3 } });
    const a = await registerUser(t);
    assert.equal((await put(t, a, { presence: "online", status_msg: "ééé" })).status, 200);
    assert.equal((await put(t, a, { presence: "online", status_msg: "éééé" })).body.errcode, "M_INVALID_PARAM");
  });

  it("with busy disabled: /versions says false and busy is refused, saying why", async () => {
    const t = await server({ presence: { busy_presence: false } });
    const a = await registerUser(t);
    const versions = await t.request("GET", "/_matrix/client/versions");
    assert.equal(versions.body.unstable_features["org.matrix.msc3026.busy_presence"], false);
    const res = await put(t, a, { presence: "org.matrix.msc3026.busy" });
    assert.equal(res.status, 400);
    assert.equal(res.body.errcode, "M_INVALID_PARAM");
    assert.match(res.body.error, /not enabled/);
  });

  it("you see yourself and people you share a room with; anyone else, or nobody, is 403", async () => {
    const t = await server();
    const [a, b, c] = [await registerUser(t), await registerUser(t), await registerUser(t)];
    await put(t, b, { presence: "online" });
    assert.equal((await get(t, a, b)).status, 403);
    shareRoom(t, "!r:localhost", a, b);
    const seen = await get(t, a, b);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.presence, "online");
    assert.equal((await get(t, a, c)).status, 403);
    const ghost = await t.request("GET", "/_matrix/client/v3/presence/%40ghost%3Alocalhost/status", { token: a.token });
    assert.equal(ghost.status, 403);
    assert.equal(ghost.body.errcode, "M_FORBIDDEN");
    const bad = await t.request("GET", "/_matrix/client/v3/presence/not-a-user/status", { token: a.token });
    assert.equal(bad.status, 403);
  });

  it("a user never seen is offline, without last_active_ago", async () => {
    const t = await server();
    const a = await registerUser(t);
    assert.deepEqual((await get(t, a, a)).body, { presence: "offline" });
  });

  it("rate limit: burst, then 429 M_LIMIT_EXCEEDED with Retry-After; the refused update changes nothing", async () => {
    const t = await createTestServer({ rate_limits: { presence: { per_second: 1, burst: 2 } } });
    pool.track(t);
    const a = await registerUser(t);
    assert.equal((await put(t, a, { presence: "online" })).status, 200);
    assert.equal((await put(t, a, { presence: "unavailable" })).status, 200);
    const refused = await put(t, a, { presence: "busy" });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.errcode, "M_LIMIT_EXCEEDED");
    assert.equal(refused.body.retry_after_ms, 1000);
    assert.equal(refused.headers["retry-after"], "1");
    assert.equal((await get(t, a, a)).body.presence, "unavailable");
    t.clock.advance(1000);
    assert.equal((await put(t, a, { presence: "busy" })).status, 200);
  });

  it("with presence disabled: PUT is 200 {} and stores nothing; GET says offline", async () => {
    const t = await server({ presence: { enabled: false } });
    const a = await registerUser(t);
    const res = await put(t, a, { presence: "online", status_msg: "x" });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {});
    assert.deepEqual((await get(t, a, a)).body, { presence: "offline" });
    assert.deepEqual(await t.server.database.db.selectFrom("presence").selectAll().execute(), []);
  });

  it("an acknowledged PUT is already in the database when the 200 arrives", async () => {
    const t = await server();
    const a = await registerUser(t);
    await put(t, a, { presence: "busy", status_msg: "deep work" });
    const rows = await t.server.database.db.selectFrom("presence").selectAll().execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.state, "busy");
    assert.equal(rows[0]!.status_msg, "deep work");
  });

  it("works under the r0 prefix too", async () => {
    const t = await server();
    const a = await registerUser(t);
    const res = await t.request("PUT", `/_matrix/client/r0/presence/${encodeURIComponent(a.userId)}/status`, {
      token: a.token,
      body: { presence: "unavailable" },
    });
    assert.equal(res.status, 200);
    assert.equal((await get(t, a, a)).body.presence, "unavailable");
  });
});

describe("presence timers and restart (fake clock)", () => {
  it("PUT online without syncing lapses to offline after sync_timeout; busy does not, until the busy lease", async () => {
    const t = await createTestServer({ presence: { sync_timeout: "30s", idle_timeout: "5m", busy_timeout: "1h" } });
    try {
      const a = await registerUser(t);
      const b = await registerUser(t);
      await put(t, a, { presence: "online" });
      await put(t, b, { presence: "busy", status_msg: "call" });
      t.clock.advance(29_999);
      assert.equal((await get(t, a, a)).body.presence, "online");
      t.clock.advance(1);
      assert.equal((await get(t, a, a)).body.presence, "offline");
      assert.equal((await get(t, b, b)).body.presence, "org.matrix.msc3026.busy");
      t.clock.advance(3_600_000);
      const lapsed = (await get(t, b, b)).body;
      assert.equal(lapsed.presence, "offline");
      assert.equal(lapsed.status_msg, "call", "timers never change status_msg");
    } finally {
      await t.close();
    }
  });

  it("presence survives a restart; restored non-offline users time out unless a device comes back", async () => {
    const first = await createTestServer({});
    const a = await registerUser(first);
    const b = await registerUser(first);
    await put(first, a, { presence: "busy", status_msg: "focus" });
    await put(first, b, { presence: "online", status_msg: "here" });
    first.clock.advance(5_000);
    await first.server.close();
    const second = await createTestServer({}, { db: first.db, clock: first.clock });
    try {
      const ra = (await get(second, a, a)).body;
      assert.equal(ra.presence, "org.matrix.msc3026.busy");
      assert.equal(ra.status_msg, "focus");
      assert.equal(ra.last_active_ago, 5_000);
      assert.equal((await get(second, b, b)).body.presence, "online");
      second.clock.advance(30_000);
      assert.equal((await get(second, b, b)).body.presence, "offline");
      assert.equal((await get(second, b, b)).body.status_msg, "here");
      assert.equal((await get(second, a, a)).body.presence, "org.matrix.msc3026.busy");
    } finally {
      await second.close();
    }
  });
});
