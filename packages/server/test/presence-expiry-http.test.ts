// Status that ends on time: io.axon.expires_at on PUT /presence, in GET and in /sync, across a restart.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { RoomId } from "@axon/protocol";
import { FakeClock } from "../src/clock";
import { freshDatabase } from "./databases";
import { createTestServer, registerUser, serverPool, type TestServer, type TestUser } from "./support";

const FIELD = "io.axon.expires_at";
const path = (u: TestUser) => `/_matrix/client/v3/presence/${encodeURIComponent(u.userId)}/status`;
const put = (t: TestServer, u: TestUser, body: unknown) => t.request("PUT", path(u), { token: u.token, body });
const get = (t: TestServer, viewer: TestUser, target: TestUser) => t.request("GET", path(target), { token: viewer.token });
const shareRoom = (t: TestServer, ...users: TestUser[]) => {
  for (const u of users) t.server.deps.membership.join("!room:localhost" as RoomId, u.userId);
};
const presenceEvents = (body: { presence?: { events?: { sender: string; content: Record<string, unknown> }[] } }, sender: string) =>
  (body.presence?.events ?? []).filter((e) => e.sender === sender).map((e) => e.content);

describe("presence with an end (io.axon.expires_at)", () => {
  const pool = serverPool({ rate_limits: { presence: { per_second: 0 } } });
  after(pool.closeAll);

  it("is advertised in /versions, and not when switched off (then the field is ignored)", async () => {
    const on = await pool.create();
    assert.equal((await on.request("GET", "/_matrix/client/versions")).body.unstable_features["io.axon.presence_expiry"], true);
    const off = await pool.create({ presence: { status_expiry: false } });
    assert.equal((await off.request("GET", "/_matrix/client/versions")).body.unstable_features["io.axon.presence_expiry"], false);
    const a = await registerUser(off);
    assert.equal((await put(off, a, { presence: "busy", status_msg: "x", [FIELD]: off.clock.now() + 1000 })).status, 200);
    assert.equal(FIELD in (await get(off, a, a)).body, false);
    off.clock.advance(5_000);
    assert.equal((await get(off, a, a)).body.status_msg, "x", "no end when the feature is off");
  });

  it("busy until a time: shown to others with its end, then ends on time as if cleared, and sync says so", async () => {
    const t = await pool.create();
    const a = await registerUser(t);
    const b = await registerUser(t);
    shareRoom(t, a, b);
    const first = await t.request("GET", "/_matrix/client/v3/sync", { token: b.token });
    const end = t.clock.now() + 30 * 60_000; // within the busy lease (1 h with no device)
    assert.equal((await put(t, a, { presence: "org.matrix.msc3026.busy", status_msg: "workshop", [FIELD]: end })).status, 200);
    const seen = (await get(t, b, a)).body;
    assert.equal(seen.presence, "org.matrix.msc3026.busy");
    assert.equal(seen.status_msg, "workshop");
    assert.equal(seen[FIELD], end);
    const during = await t.request("GET", `/_matrix/client/v3/sync?since=${first.body.next_batch}`, { token: b.token });
    assert.deepEqual(presenceEvents(during.body, a.userId).map((c) => [c.presence, c.status_msg, c[FIELD]]), [["org.matrix.msc3026.busy", "workshop", end]]);

    t.clock.advance(30 * 60_000 - 1);
    assert.equal((await get(t, b, a)).body.presence, "org.matrix.msc3026.busy");
    t.clock.advance(1);
    const ended = (await get(t, b, a)).body;
    assert.notEqual(ended.presence, "org.matrix.msc3026.busy");
    assert.equal("status_msg" in ended, false, "the message set with it is cleared");
    assert.equal(FIELD in ended, false);
    const after = await t.request("GET", `/_matrix/client/v3/sync?since=${during.body.next_batch}`, { token: b.token });
    const events = presenceEvents(after.body, a.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.presence, ended.presence);
    assert.equal("status_msg" in events[0]!, false);
  });

  it("a later choice without an end replaces the end", async () => {
    const t = await pool.create();
    const a = await registerUser(t);
    await put(t, a, { presence: "busy", status_msg: "a", [FIELD]: t.clock.now() + 1000 });
    await put(t, a, { presence: "busy", status_msg: "b" });
    assert.equal(FIELD in (await get(t, a, a)).body, false);
    t.clock.advance(2000);
    const body = (await get(t, a, a)).body;
    assert.equal(body.presence, "org.matrix.msc3026.busy");
    assert.equal(body.status_msg, "b");
  });

  it("refuses a past, non-integer or far-off end with 400 M_INVALID_PARAM and changes nothing", async () => {
    const t = await pool.create();
    const a = await registerUser(t);
    await put(t, a, { presence: "unavailable", status_msg: "before" });
    const now = t.clock.now();
    for (const bad of [now, now - 1, now + 0.5, "1700000000000", true, {}, now + 400 * 24 * 3_600_000, Number.MAX_SAFE_INTEGER + 2]) {
      const res = await put(t, a, { presence: "busy", status_msg: "after", [FIELD]: bad });
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.body.errcode, "M_INVALID_PARAM");
      assert.equal(typeof res.body.error, "string");
    }
    const body = (await get(t, a, a)).body;
    assert.equal(body.presence, "unavailable");
    assert.equal(body.status_msg, "before");
    // null means no end.
    assert.equal((await put(t, a, { presence: "busy", [FIELD]: null })).status, 200);
  });

  it("survives a restart, and an end that passed while the server was down applies at start-up", async () => {
    const db = await freshDatabase("sqlite");
    const clock = new FakeClock();
    try {
      let t = await createTestServer({}, { db, clock });
      const a = await registerUser(t, "ender");
      const keep = await registerUser(t, "keeper");
      await put(t, a, { presence: "busy", status_msg: "until noon", [FIELD]: clock.now() + 60_000 });
      await put(t, keep, { presence: "busy", status_msg: "all day", [FIELD]: clock.now() + 3_600_000 });
      await t.close();
      clock.advance(120_000);
      t = await createTestServer({}, { db, clock });
      const ended = (await get(t, a, a)).body;
      assert.equal(ended.presence, "offline");
      assert.equal("status_msg" in ended, false);
      const kept = (await get(t, keep, keep)).body;
      assert.equal(kept.presence, "org.matrix.msc3026.busy");
      assert.equal(kept[FIELD], clock.now() - 120_000 + 3_600_000);
      clock.advance(3_600_000);
      assert.equal("status_msg" in (await get(t, keep, keep)).body, false);
      await t.close();
    } finally {
      await db.cleanup();
    }
  });
});
