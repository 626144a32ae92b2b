// The /sync room summary in incremental syncs after membership changes (issue 15: Element showed "1 member").
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const servers: TestServer[] = [];
after(() => Promise.all(servers.map((t) => t.close())));

const sync = (t: TestServer, u: TestUser, since: string) => expectOk(t, "GET", `${V3}/sync?timeout=0&since=${encodeURIComponent(since)}`, u);

test("an incremental sync after a join, an invite and a leave carries the new counts and heroes", async () => {
  const t = await createTestServer();
  servers.push(t);
  const a = await registerUser(t);
  const b = await registerUser(t);
  const c = await registerUser(t);
  const room = await createRoom(t, a, { preset: "public_chat" });
  const s0 = await expectOk(t, "GET", `${V3}/sync?timeout=0`, a);
  assert.deepEqual(s0.rooms.join[room].summary, { "m.heroes": [], "m.joined_member_count": 1, "m.invited_member_count": 0 });
  await joinRoom(t, room, b);
  const s1 = await sync(t, a, s0.next_batch);
  assert.deepEqual(s1.rooms.join[room].summary, { "m.heroes": [b.userId], "m.joined_member_count": 2, "m.invited_member_count": 0 });
  await expectOk(t, "POST", `${V3}/rooms/${encodeURIComponent(room)}/invite`, a, { user_id: c.userId });
  const s2 = await sync(t, b, s1.next_batch);
  assert.deepEqual(s2.rooms.join[room].summary, { "m.heroes": [a.userId, c.userId], "m.joined_member_count": 2, "m.invited_member_count": 1 });
  // A message alone changes no member: no summary to send again.
  await expectOk(t, "PUT", `${V3}/rooms/${encodeURIComponent(room)}/send/m.room.message/t1`, a, { msgtype: "m.text", body: "hi" });
  const s3 = await sync(t, a, s2.next_batch);
  assert.deepEqual(s3.rooms.join[room].summary, {});
  await expectOk(t, "POST", `${V3}/rooms/${encodeURIComponent(room)}/leave`, b, {});
  const s4 = await sync(t, a, s3.next_batch);
  assert.equal(s4.rooms.join[room].summary["m.joined_member_count"], 1);
});
