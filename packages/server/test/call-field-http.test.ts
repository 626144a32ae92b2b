// MSC4426's call field, kept on the profile by the server while its call tracker sees a user in a call.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createRoom, expectOk, joinRoom, registerUser, serverPool, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const CALL = "org.matrix.msc4426.call";
const RTC = "org.matrix.msc3401.call.member";

async function callRoom(t: TestServer, owner: TestUser, ...others: TestUser[]): Promise<string> {
  const roomId = await createRoom(t, owner, { preset: "public_chat", power_level_content_override: { events: { [RTC]: 0 } } });
  await joinRoom(t, roomId, ...others);
  return roomId;
}

const member = (t: TestServer, roomId: string, u: TestUser, content: object) =>
  expectOk(t, "PUT", `${V3}/rooms/${encodeURIComponent(roomId)}/state/${RTC}/${encodeURIComponent(`_${u.userId}_${u.deviceId}`)}`, u, content);
const joinCall = (t: TestServer, roomId: string, u: TestUser, expires = 3_600_000) =>
  member(t, roomId, u, { application: "m.call", call_id: "", scope: "m.room", device_id: u.deviceId, expires });

/** The call field as anyone reads it (undefined when absent). */
async function callField(t: TestServer, u: TestUser): Promise<unknown> {
  const r = await t.request("GET", `${V3}/profile/${encodeURIComponent(u.userId)}`);
  assert.equal(r.status, 200);
  return r.body[CALL];
}

/** The field is written just after the event that changed the call: wait (bounded) for it. */
async function eventually(t: TestServer, u: TestUser, want: (v: unknown) => boolean, what: string): Promise<unknown> {
  const until = Date.now() + 5000;
  for (;;) {
    const v = await callField(t, u);
    if (want(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the field is ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const present = (v: unknown) => v !== undefined;
const absent = (v: unknown) => v === undefined;

describe("the MSC4426 call field follows the call tracker", () => {
  const pool = serverPool({ rate_limits: { presence: { per_second: 0 } } });
  after(pool.closeAll);

  it("a MatrixRTC membership sets {call_joined_ts} in seconds; leaving the call removes it; status is untouched", async () => {
    const t = await pool.create();
    const [a, b] = [await registerUser(t), await registerUser(t)];
    const roomId = await callRoom(t, a, b);
    await expectOk(t, "PUT", `${V3}/profile/${encodeURIComponent(b.userId)}/org.matrix.msc4426.status`, b, {
      "org.matrix.msc4426.status": { text: "Focus", emoji: "🎧" },
    });
    await joinCall(t, roomId, b);
    const joinedAt = Math.floor(t.clock.now() / 1000);
    assert.deepEqual(await eventually(t, b, present, "the call field"), { call_joined_ts: joinedAt });
    assert.equal(await callField(t, a), undefined, "only the caller is in a call");
    const field = await t.request("GET", `${V3}/profile/${encodeURIComponent(b.userId)}/${CALL}`, { token: a.token });
    assert.deepEqual(field.body, { [CALL]: { call_joined_ts: joinedAt } });

    await member(t, roomId, b, {});
    await eventually(t, b, absent, "the call field to go");
    const profile = (await t.request("GET", `${V3}/profile/${encodeURIComponent(b.userId)}`)).body;
    assert.deepEqual(profile["org.matrix.msc4426.status"], { text: "Focus", emoji: "🎧" });
  });

  it("the field stays while any call goes on (two devices), and goes with the last", async () => {
    const t = await pool.create();
    const a = await registerUser(t);
    const phone = { ...a, deviceId: "PHONE" };
    const roomId = await callRoom(t, a);
    await joinCall(t, roomId, a);
    await eventually(t, a, present, "the call field");
    await joinCall(t, roomId, phone);
    await member(t, roomId, a, {});
    assert.notEqual(await callField(t, a), undefined);
    await member(t, roomId, phone, {});
    await eventually(t, a, absent, "the call field to go after the last call");
  });

  it("a 1:1 call (invite, answer, hangup) sets it for both and removes it for both", async () => {
    const t = await pool.create();
    const [a, b] = [await registerUser(t), await registerUser(t)];
    const roomId = await callRoom(t, a, b);
    const send = (u: TestUser, type: string, content: object, txn: string) =>
      expectOk(t, "PUT", `${V3}/rooms/${encodeURIComponent(roomId)}/send/${type}/${txn}`, u, content);
    await send(a, "m.call.invite", { call_id: "c1", version: "1", lifetime: 60000, offer: { type: "offer", sdp: "x" } }, "i1");
    await send(b, "m.call.answer", { call_id: "c1", version: "1", answer: { type: "answer", sdp: "y" } }, "a1");
    await eventually(t, a, present, "a's call field");
    await eventually(t, b, present, "b's call field");
    await send(b, "m.call.hangup", { call_id: "c1", version: "1" }, "h1");
    await eventually(t, a, absent, "a's call field to go");
    await eventually(t, b, absent, "b's call field to go");
  });

  it("a value the user set is theirs: the server neither overwrites nor removes it", async () => {
    const t = await pool.create();
    const a = await registerUser(t);
    const roomId = await callRoom(t, a);
    const mine = { call_joined_ts: 12345, "org.example.note": "set by me" };
    await expectOk(t, "PUT", `${V3}/profile/${encodeURIComponent(a.userId)}/${CALL}`, a, { [CALL]: mine });
    await joinCall(t, roomId, a);
    await member(t, roomId, a, {});
    // A second call after the user deleted their value shows the server's writes went through in order.
    await expectOk(t, "DELETE", `${V3}/profile/${encodeURIComponent(a.userId)}/${CALL}`, a);
    await joinCall(t, roomId, a);
    assert.notDeepEqual(await eventually(t, a, present, "the server's field"), mine);
    await member(t, roomId, a, {});
    await eventually(t, a, absent, "the server's field to go");

    await expectOk(t, "PUT", `${V3}/profile/${encodeURIComponent(a.userId)}/${CALL}`, a, { [CALL]: mine });
    await joinCall(t, roomId, a);
    await member(t, roomId, a, {});
    await joinCall(t, roomId, a);
    await member(t, roomId, a, {});
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await callField(t, a), mine);
  });

  it("the busy lease ends a call whose end was never seen, and the field with it", async () => {
    const t = await pool.create();
    const a = await registerUser(t);
    const roomId = await callRoom(t, a);
    // A membership that claims a day: only the lease (busy_timeout, 1 h without a live device) ends it.
    await joinCall(t, roomId, a, 24 * 3_600_000);
    await eventually(t, a, present, "the call field");
    t.clock.advance(30 * 60_000);
    assert.notEqual(await callField(t, a), undefined, "half the lease: still in the call");
    t.clock.advance(31 * 60_000);
    await eventually(t, a, absent, "the call field to go with the lease");
  });

  it("presence.call_profile_field: false leaves profiles alone (busy still follows calls)", async () => {
    const t = await pool.create({ presence: { call_profile_field: false } });
    const a = await registerUser(t);
    const roomId = await callRoom(t, a);
    await joinCall(t, roomId, a);
    const p = await expectOk(t, "GET", `${V3}/presence/${encodeURIComponent(a.userId)}/status`, a);
    assert.equal(p.presence, "org.matrix.msc3026.busy");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await callField(t, a), undefined);
  });
});
