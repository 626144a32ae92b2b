import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser, serverPool, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
type PresenceEvent = { type: string; sender: string; content: { presence: string; status_msg?: string } };

const ok = expectOk;

async function sharedRoom(t: TestServer, owner: TestUser, ...others: TestUser[]): Promise<string> {
  // Call rooms let every member publish their call membership, as group-call clients set them up.
  const callEvents = { "org.matrix.msc3401.call.member": 0, "m.call.member": 0 };
  const roomId = await createRoom(t, owner, { preset: "public_chat", power_level_content_override: { events: callEvents } });
  await joinRoom(t, roomId, ...others);
  return roomId;
}

const setPresence = (t: TestServer, u: TestUser, presence: string, status_msg?: string) =>
  ok(t, "PUT", `${V3}/presence/${encodeURIComponent(u.userId)}/status`, u, { presence, ...(status_msg && { status_msg }) });

async function sync(t: TestServer, u: TestUser, query = "") {
  return ok(t, "GET", `${V3}/sync?set_presence=offline&${query}`, u);
}

const pairs = (body: { presence?: { events: PresenceEvent[] } }) =>
  (body.presence?.events ?? []).map((e) => [e.sender, e.content.presence]);

describe("presence in /sync", () => {
  const pool = serverPool({ rate_limits: { presence: { per_second: 0 } } });
  after(pool.closeAll);
  const server = pool.create;

  it("initial sync: self plus every visible user who is not offline", async () => {
    const t = await server();
    const [a, b, c, stranger] = [await registerUser(t), await registerUser(t), await registerUser(t), await registerUser(t)];
    await sharedRoom(t, a, b, c);
    await setPresence(t, a, "online");
    await setPresence(t, b, "busy", "on a call");
    await setPresence(t, c, "offline");
    await setPresence(t, stranger, "online");
    const body = await sync(t, a);
    assert.deepEqual(pairs(body).sort(), [
      [a.userId, "online"],
      [b.userId, "org.matrix.msc3026.busy"],
    ]);
    const ev = body.presence.events.find((e: PresenceEvent) => e.sender === b.userId);
    assert.equal(ev.type, "m.presence");
    assert.equal(ev.content.status_msg, "on a call");
  });

  it("incremental: at most one event per user, the latest, offline included; then nothing", async () => {
    const t = await server();
    const [a, b] = [await registerUser(t), await registerUser(t)];
    await sharedRoom(t, a, b);
    const first = await sync(t, a);
    await setPresence(t, b, "online");
    await setPresence(t, b, "unavailable");
    await setPresence(t, b, "busy");
    const second = await sync(t, a, `since=${first.next_batch}`);
    assert.deepEqual(pairs(second), [[b.userId, "org.matrix.msc3026.busy"]]);
    await setPresence(t, b, "offline");
    const third = await sync(t, a, `since=${second.next_batch}`);
    assert.deepEqual(pairs(third), [[b.userId, "offline"]]);
    const fourth = await sync(t, a, `since=${third.next_batch}`);
    assert.deepEqual(pairs(fourth), []);
  });

  it("busy is sticky: syncs from any device never change it; an explicit PUT from another device ends it", async () => {
    const t = await server();
    const [a, b] = [await registerUser(t), await registerUser(t)];
    const bDesk = { ...b, ...(await t.server.deps.accounts.startSession(b.userId, null, null)) };
    const token = { ...b, token: bDesk.accessToken };
    await sharedRoom(t, a, b);
    await setPresence(t, b, "busy");
    await ok(t, "GET", `${V3}/sync?set_presence=online`, b);
    await ok(t, "GET", `${V3}/sync?set_presence=unavailable`, token);
    const seen = await ok(t, "GET", `${V3}/presence/${encodeURIComponent(b.userId)}/status`, a);
    assert.equal(seen.presence, "org.matrix.msc3026.busy");
    await setPresence(t, token, "online");
    assert.equal((await ok(t, "GET", `${V3}/presence/${encodeURIComponent(b.userId)}/status`, a)).presence, "online");
  });

  it("people who start sharing a room get each other's presence once, in the next sync", async () => {
    const t = await server();
    const [a, c] = [await registerUser(t), await registerUser(t)];
    await setPresence(t, a, "unavailable", "lunch");
    await setPresence(t, c, "busy");
    const room_id = await createRoom(t, a, { preset: "public_chat" });
    const a1 = await sync(t, a);
    const c1 = await sync(t, c);
    assert.deepEqual(pairs(a1), [[a.userId, "unavailable"]]);
    await ok(t, "POST", `${V3}/rooms/${encodeURIComponent(room_id)}/join`, c, {});
    const a2 = await sync(t, a, `since=${a1.next_batch}`);
    const c2 = await sync(t, c, `since=${c1.next_batch}`);
    assert.deepEqual(pairs(a2), [[c.userId, "org.matrix.msc3026.busy"]]);
    assert.deepEqual(pairs(c2), [[a.userId, "unavailable"]]);
    const a3 = await sync(t, a, `since=${a2.next_batch}`);
    const c3 = await sync(t, c, `since=${c2.next_batch}`);
    assert.deepEqual(pairs(a3), []);
    assert.deepEqual(pairs(c3), []);
  });


  it("someone never active who starts sharing a room is sent once as offline, without last_active_ago", async () => {
    const t = await server();
    const [a, quiet] = [await registerUser(t), await registerUser(t)];
    await setPresence(t, a, "online");
    // Creating a room is not activity: `quiet` has never synced, set presence or sent anything.
    const room_id = await createRoom(t, quiet, { preset: "public_chat" });
    const a1 = await sync(t, a);
    const q1 = await sync(t, quiet);
    await ok(t, "POST", `${V3}/rooms/${encodeURIComponent(room_id)}/join`, a, {});
    const a2 = await sync(t, a, `since=${a1.next_batch}`);
    const q2 = await sync(t, quiet, `since=${q1.next_batch}`);
    assert.deepEqual(pairs(a2), [[quiet.userId, "offline"]]);
    assert.deepEqual(a2.presence.events[0].content, { presence: "offline" });
    assert.deepEqual(pairs(q2), [[a.userId, "online"]]);
    const a3 = await sync(t, a, `since=${a2.next_batch}`);
    const q3 = await sync(t, quiet, `since=${q2.next_batch}`);
    assert.deepEqual(pairs(a3), []);
    assert.deepEqual(pairs(q3), []);
  });

  it("honours the presence filter: types [] means none; senders and not_senders", async () => {
    const t = await server();
    const [a, b, c] = [await registerUser(t), await registerUser(t), await registerUser(t)];
    await sharedRoom(t, a, b, c);
    await setPresence(t, a, "online");
    await setPresence(t, b, "online");
    await setPresence(t, c, "online");
    const f = (filter: unknown) => `filter=${encodeURIComponent(JSON.stringify(filter))}`;
    assert.deepEqual(pairs(await sync(t, a, f({ presence: { types: [] } }))), []);
    assert.deepEqual(pairs(await sync(t, a, f({ presence: { not_types: ["m.presence"] } }))), []);
    assert.deepEqual(pairs(await sync(t, a, f({ presence: { senders: [b.userId] } }))), [[b.userId, "online"]]);
    assert.deepEqual(
      pairs(await sync(t, a, f({ presence: { not_senders: [a.userId, b.userId] } }))),
      [[c.userId, "online"]],
    );
    assert.equal(pairs(await sync(t, a, f({ presence: { limit: 1 } }))).length, 1);
    const { filter_id } = await ok(t, "POST", `${V3}/user/${encodeURIComponent(a.userId)}/filter`, a, { presence: { types: [] } });
    assert.deepEqual(pairs(await sync(t, a, `filter=${filter_id}`)), []);
  });

  it("a waiting long-poll returns as soon as a visible user's presence changes", async () => {
    const t = await server();
    const [a, b] = [await registerUser(t), await registerUser(t)];
    await sharedRoom(t, a, b);
    const first = await sync(t, a);
    const started = Date.now();
    const waiting = sync(t, a, `since=${first.next_batch}&timeout=20000`);
    await new Promise((r) => setTimeout(r, 50));
    await setPresence(t, b, "busy");
    const woke = await waiting;
    assert.deepEqual(pairs(woke), [[b.userId, "org.matrix.msc3026.busy"]]);
    assert.ok(Date.now() - started < 10_000, "returned on the change, not at the timeout");
  });

  it("an online device with a sync in flight idles to unavailable after idle_timeout, and activity brings it back", async () => {
    const t = await server({ presence: { idle_timeout: "5m", sync_timeout: "30s" } });
    const [a, b] = [await registerUser(t), await registerUser(t)];
    const roomId = await sharedRoom(t, a, b);
    const first = await sync(t, a);
    // b's device: a long-poll that stays open (set_presence=online), during which the fake clock moves on.
    const bFirst = await ok(t, "GET", `${V3}/sync?set_presence=online`, b);
    const bWaiting = ok(t, "GET", `${V3}/sync?set_presence=online&since=${bFirst.next_batch}&timeout=20000`, b);
    await new Promise((r) => setTimeout(r, 50));
    t.clock.advance(5 * 60_000);
    const seen = await sync(t, a, `since=${first.next_batch}`);
    assert.deepEqual(pairs(seen), [[b.userId, "unavailable"]]);
    await bWaiting; // b's own long-poll was woken by its own change
    await ok(t, "PUT", `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, b, { msgtype: "m.text", body: "back" });
    const after = await sync(t, a, `since=${seen.next_batch}`);
    assert.deepEqual(pairs(after), [[b.userId, "online"]]);
  });

  it("a 1:1 call makes both parties busy until it is hung up, then restores them", async () => {
    const t = await server();
    const [a, b] = [await registerUser(t), await registerUser(t)];
    const roomId = await sharedRoom(t, a, b);
    await setPresence(t, a, "online");
    await setPresence(t, b, "unavailable");
    const send = (u: TestUser, type: string, content: object, txn: string) =>
      ok(t, "PUT", `${V3}/rooms/${encodeURIComponent(roomId)}/send/${type}/${txn}`, u, content);
    const state = async (u: TestUser) => (await ok(t, "GET", `${V3}/presence/${encodeURIComponent(u.userId)}/status`, a)).presence;
    await send(a, "m.call.invite", { call_id: "c1", version: "1", lifetime: 60000, offer: { type: "offer", sdp: "x" } }, "i1");
    assert.equal(await state(a), "online", "ringing is not a call yet");
    await send(b, "m.call.answer", { call_id: "c1", version: "1", answer: { type: "answer", sdp: "y" } }, "a1");
    assert.equal(await state(a), "org.matrix.msc3026.busy");
    assert.equal(await state(b), "org.matrix.msc3026.busy");
    await send(b, "m.call.hangup", { call_id: "c1", version: "1" }, "h1");
    assert.equal(await state(a), "online");
    assert.equal(await state(b), "online", "b sent events during the call: activity brought the idle device back");
  });

  it("a MatrixRTC membership makes the user busy; a choice made during the call is kept when it ends", async () => {
    const t = await server();
    const [a, b] = [await registerUser(t), await registerUser(t)];
    const roomId = await sharedRoom(t, a, b);
    await setPresence(t, b, "online");
    const member = (content: object) =>
      ok(t, "PUT", `${V3}/rooms/${encodeURIComponent(roomId)}/state/org.matrix.msc3401.call.member/${encodeURIComponent(`_${b.userId}_${b.deviceId}`)}`, b, content);
    const state = async () => (await ok(t, "GET", `${V3}/presence/${encodeURIComponent(b.userId)}/status`, a)).presence;
    const joinCall = () => member({ application: "m.call", call_id: "", device_id: b.deviceId, expires: 3_600_000 });
    await joinCall();
    assert.equal(await state(), "org.matrix.msc3026.busy");
    await member({});
    assert.equal(await state(), "online", "leaving restores what b had before");
    await joinCall();
    // b chooses busy explicitly during the call: that choice outlives the call.
    await setPresence(t, b, "busy");
    await member({});
    assert.equal(await state(), "org.matrix.msc3026.busy");
  });

  it("a token from before a restart still works and brings the current presence of everyone visible", async () => {
    const first = await createTestServer({ rate_limits: { presence: { per_second: 0 } } });
    const [a, b] = [await registerUser(first), await registerUser(first)];
    await sharedRoom(first, a, b);
    await setPresence(first, b, "busy", "in a meeting");
    const before = await sync(first, a);
    await first.server.close();
    const second = await createTestServer({ rate_limits: { presence: { per_second: 0 } } }, { db: first.db, clock: first.clock });
    pool.track(second);
    const afterRestart = await sync(second, a, `since=${before.next_batch}`);
    assert.deepEqual(pairs(afterRestart), [[b.userId, "org.matrix.msc3026.busy"]]);
    const next = await sync(second, a, `since=${afterRestart.next_batch}`);
    assert.deepEqual(pairs(next), []);
  });

  it("with presence disabled, /sync has no presence section", async () => {
    const t = await server({ presence: { enabled: false } });
    const a = await registerUser(t);
    const body = await ok(t, "GET", `${V3}/sync`, a);
    assert.equal("presence" in body, false);
  });

  it("with busy_during_calls off, a call changes nothing", async () => {
    const t = await server({ presence: { busy_during_calls: false } });
    const [a, b] = [await registerUser(t), await registerUser(t)];
    const roomId = await sharedRoom(t, a, b);
    await setPresence(t, b, "online");
    await ok(t, "PUT", `${V3}/rooms/${encodeURIComponent(roomId)}/state/m.call.member/${encodeURIComponent(`_${b.userId}_D`)}`, b, {
      call_id: "",
      device_id: "D",
    });
    assert.equal((await ok(t, "GET", `${V3}/presence/${encodeURIComponent(b.userId)}/status`, a)).presence, "online");
  });
});
