// /createRoom, /sync and /messages answers, checked against the Matrix spec's own schemas.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertMatchesSpec, specUnavailable, specValidators, type SchemaCheck } from "./spec-schemas";
import { createTestServer, registerUser, type TestServer, type TestUser } from "./support";

const skip = specUnavailable() ?? false;
if (skip) console.log(`# ${skip}`);

describe("room and sync responses match the Matrix spec schemas", { skip }, () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let syncCheck: SchemaCheck;
  let presenceCheck: SchemaCheck;

  before(async () => {
    t = await createTestServer();
    alice = await registerUser(t);
    bob = await registerUser(t);
    syncCheck = await specValidators().responseValidator("sync.yaml", "/sync", "get", 200);
    presenceCheck = await specValidators().eventValidator("m.presence");
  });
  after(async () => {
    await t.close();
  });

  /** GETs /sync, checks it against sync.yaml and every presence event against m.presence. */
  async function sync(user: TestUser, query: string, what: string) {
    const res = await t.request("GET", `/_matrix/client/v3/sync${query}`, { token: user.token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec(syncCheck, res.body, what);
    for (const ev of res.body.presence?.events ?? []) assertMatchesSpec(presenceCheck, ev, `${what}: presence event`);
    return res.body;
  }

  test("createRoom, initial and incremental /sync for both members, /messages", async () => {
    const v = specValidators();
    const createCheck = await v.responseValidator("create_room.yaml", "/createRoom", "post", 200);
    const created = await t.request("POST", "/_matrix/client/v3/createRoom", {
      token: alice.token,
      body: { preset: "private_chat", name: "Spec room", topic: "schemas", invite: [bob.userId] },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assertMatchesSpec(createCheck, created.body, "POST /createRoom");
    const roomId: string = created.body.room_id;

    const aliceInitial = await sync(alice, "?timeout=0", "alice initial /sync");
    assert.ok(aliceInitial.rooms?.join?.[roomId], "alice's initial sync has the room");
    const bobInitial = await sync(bob, "", "bob initial /sync (no timeout given)");
    assert.ok(bobInitial.rooms?.invite?.[roomId], "bob's initial sync has the invite");

    const joined = await t.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, { token: bob.token, body: {} });
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    for (let i = 0; i < 3; i++) {
      const sent = await t.request("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/spec${i}`, {
        token: alice.token,
        body: { msgtype: "m.text", body: `message ${i}` },
      });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
    }

    const aliceNext = await sync(alice, `?since=${encodeURIComponent(aliceInitial.next_batch)}&timeout=0`, "alice incremental /sync");
    const aliceTimeline = aliceNext.rooms?.join?.[roomId]?.timeline?.events ?? [];
    assert.ok(aliceTimeline.some((e: { type: string }) => e.type === "m.room.message"), "alice's incremental sync has the messages");
    const bobNext = await sync(bob, `?since=${encodeURIComponent(bobInitial.next_batch)}&timeout=0`, "bob incremental /sync");
    assert.ok(bobNext.rooms?.join?.[roomId], "bob's incremental sync has the joined room");
    await sync(bob, `?since=${encodeURIComponent(bobNext.next_batch)}&timeout=0`, "bob empty incremental /sync");
    await sync(alice, `?full_state=true&filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 1 } } }))}`, "alice /sync with inline filter");

    const messagesCheck = await v.responseValidator("message_pagination.yaml", "/rooms/{roomId}/messages", "get", 200);
    const back = await t.request("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=2`, { token: bob.token });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assertMatchesSpec(messagesCheck, back.body, "GET /messages dir=b");
    assert.equal(back.body.chunk.length, 2);
    if (back.body.end) {
      const more = await t.request("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50&from=${encodeURIComponent(back.body.end)}`, {
        token: bob.token,
      });
      assert.equal(more.status, 200, JSON.stringify(more.body));
      assertMatchesSpec(messagesCheck, more.body, "GET /messages dir=b from=end");
    }
    const forward = await t.request("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=f`, { token: alice.token });
    assert.equal(forward.status, 200, JSON.stringify(forward.body));
    assertMatchesSpec(messagesCheck, forward.body, "GET /messages dir=f");
  });
});
