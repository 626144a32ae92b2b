import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createRoom, createTestServer, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

describe("/sync over HTTP", () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let txn = 0;

  before(async () => {
    t = await createTestServer();
    alice = await registerUser(t, "alice");
    bob = await registerUser(t, "bob");
    carol = await registerUser(t, "carol");
  });
  after(() => t.close());

  const create = (who: TestUser, body: Record<string, unknown> = {}) => createRoom(t, who, body);
  const send = async (who: TestUser, roomId: string, text: string) => {
    const r = await t.request("PUT", `${V3}/rooms/${enc(roomId)}/send/m.room.message/s${++txn}`, { token: who.token, body: { msgtype: "m.text", body: text } });
    assert.equal(r.status, 200);
    return r.body.event_id as string;
  };
  const sync = async (who: TestUser, query = "") => {
    const r = await t.request("GET", `${V3}/sync${query ? `?${query}` : ""}`, { token: who.token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const bodies = (events: { content: { body?: string } }[]) => events.map((e) => e.content.body).filter((b) => b !== undefined);

  it("an initial sync is spec-shaped and has joined rooms with timeline and state", async () => {
    const roomId = await create(alice, { name: "Initial" });
    await send(alice, roomId, "first");
    const s = await sync(alice, "timeout=0&_cacheBuster=123&org.matrix.msc4222.use_state_after=true");
    assert.match(s.next_batch, /^s\d+(_\d+)+$/);
    // Syncing (set_presence defaults to online) makes alice online; an initial sync includes herself.
    assert.deepEqual(
      s.presence.events.map((e: { sender: string; content: { presence: string } }) => [e.sender, e.content.presence]),
      [[alice.userId, "online"]],
    );
    // Empty sections are left out (every one but next_batch is optional); the key count is always there.
    for (const empty of ["account_data", "to_device", "device_lists"]) assert.equal(s[empty], undefined, empty);
    assert.deepEqual(Object.keys(s.rooms), ["join"]);
    assert.deepEqual(s.device_one_time_keys_count, {});
    const room = s.rooms.join[roomId];
    assert.ok(room, "room in join");
    assert.deepEqual(bodies(room.timeline.events), ["first"]);
    assert.equal(typeof room.timeline.prev_batch, "string");
    // Eight events in all: within the default limit of ten.
    assert.equal(room.timeline.limited, false);
    const stateTypes = room.state.events.map((e: { type: string }) => e.type);
    assert.ok(stateTypes.includes("m.room.create") || room.timeline.events.some((e: { type: string }) => e.type === "m.room.create"));
    assert.deepEqual(room.unread_notifications, { notification_count: 0, highlight_count: 0 });
    assert.deepEqual(room.ephemeral, { events: [] });
    assert.equal(room.summary["m.joined_member_count"], 1);
  });

  it("incremental: new messages only, and nothing when nothing happened", async () => {
    const roomId = await create(alice);
    const s1 = await sync(alice);
    const empty = await sync(alice, `since=${s1.next_batch}`);
    assert.deepEqual(empty, { device_one_time_keys_count: {}, device_unused_fallback_key_types: [], next_batch: s1.next_batch });
    assert.equal(empty.next_batch, s1.next_batch);
    await send(alice, roomId, "one");
    await send(alice, roomId, "two");
    const s2 = await sync(alice, `since=${s1.next_batch}`);
    const room = s2.rooms.join[roomId];
    assert.deepEqual(bodies(room.timeline.events), ["one", "two"]);
    assert.equal(room.timeline.limited, false);
    assert.deepEqual(room.state.events, []);
    assert.equal(room.timeline.events[0].unsigned.transaction_id !== undefined, true);
    const other = await sync(bob, `since=${s1.next_batch}`);
    assert.equal(other.rooms?.join?.[roomId], undefined);
  });

  it("invite, join and leave sections", async () => {
    const roomId = await create(alice, { name: "Party" });
    const base = (await sync(bob)).next_batch;
    await t.request("POST", `${V3}/rooms/${enc(roomId)}/invite`, { token: alice.token, body: { user_id: bob.userId } });
    const s1 = await sync(bob, `since=${base}`);
    const invite = s1.rooms.invite[roomId];
    assert.ok(invite, "invite section");
    const types = invite.invite_state.events.map((e: { type: string }) => e.type);
    assert.ok(types.includes("m.room.name") && types.includes("m.room.member"));
    assert.ok(invite.invite_state.events.every((e: Record<string, unknown>) => "sender" in e && "state_key" in e && "content" in e));

    await t.request("POST", `${V3}/rooms/${enc(roomId)}/join`, { token: bob.token, body: {} });
    const s2 = await sync(bob, `since=${s1.next_batch}`);
    const joined = s2.rooms.join[roomId];
    assert.ok(joined, "join section");
    const all = [...joined.state.events, ...joined.timeline.events];
    assert.ok(all.some((e: { type: string; state_key: string; content: { membership?: string } }) => e.type === "m.room.member" && e.state_key === bob.userId && e.content.membership === "join"));
    assert.ok(all.some((e: { type: string }) => e.type === "m.room.create"));

    await t.request("POST", `${V3}/rooms/${enc(roomId)}/kick`, { token: alice.token, body: { user_id: bob.userId } });
    const s3 = await sync(bob, `since=${s2.next_batch}`);
    const left = s3.rooms.leave[roomId];
    assert.ok(left, "leave section");
    assert.equal(left.timeline.events.at(-1).content.membership, "leave");
    assert.equal(s3.rooms.join, undefined, "no empty join section");
    // A fresh initial sync hides left rooms unless the filter asks for them.
    assert.equal((await sync(bob)).rooms?.leave?.[roomId], undefined);
    const withLeave = await sync(bob, `filter=${enc(JSON.stringify({ room: { include_leave: true } }))}`);
    assert.ok(withLeave.rooms.leave[roomId]);
  });

  it("typing appears in ephemeral and expires on the clock", async () => {
    const roomId = await create(alice, { preset: "public_chat" });
    await t.request("POST", `${V3}/join/${enc(roomId)}`, { token: bob.token, body: {} });
    const base = (await sync(bob)).next_batch;
    await t.request("PUT", `${V3}/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: alice.token, body: { typing: true, timeout: 10_000 } });
    const s1 = await sync(bob, `since=${base}`);
    assert.deepEqual(s1.rooms.join[roomId].ephemeral.events, [{ type: "m.typing", content: { user_ids: [alice.userId] } }]);
    t.clock.advance(10_001);
    const s2 = await sync(bob, `since=${s1.next_batch}`);
    assert.deepEqual(s2.rooms.join[roomId].ephemeral.events, [{ type: "m.typing", content: { user_ids: [] } }]);
  });

  it("receipts appear in ephemeral; private ones only for their owner", async () => {
    const roomId = await create(alice, { preset: "public_chat" });
    await t.request("POST", `${V3}/join/${enc(roomId)}`, { token: bob.token, body: {} });
    const ev = await send(alice, roomId, "read me");
    const baseA = (await sync(alice)).next_batch;
    const baseB = (await sync(bob)).next_batch;
    await t.request("POST", `${V3}/rooms/${enc(roomId)}/receipt/m.read/${enc(ev)}`, { token: bob.token, body: {} });
    await t.request("POST", `${V3}/rooms/${enc(roomId)}/receipt/m.read.private/${enc(ev)}`, { token: alice.token, body: {} });
    const a = await sync(alice, `since=${baseA}`);
    const receipt = a.rooms.join[roomId].ephemeral.events.find((e: { type: string }) => e.type === "m.receipt");
    assert.equal(typeof receipt.content[ev]["m.read"][bob.userId].ts, "number");
    assert.ok(receipt.content[ev]["m.read.private"][alice.userId]);
    const b = await sync(bob, `since=${baseB}`);
    const theirs = b.rooms.join[roomId].ephemeral.events.find((e: { type: string }) => e.type === "m.receipt");
    assert.equal(theirs.content[ev]["m.read.private"], undefined);
  });

  it("account data: global and per room, initial and incremental", async () => {
    const roomId = await create(carol);
    const base = (await sync(carol)).next_batch;
    await t.request("PUT", `${V3}/user/${enc(carol.userId)}/account_data/m.direct`, { token: carol.token, body: { x: ["!a:b"] } });
    await t.request("PUT", `${V3}/user/${enc(carol.userId)}/rooms/${enc(roomId)}/account_data/m.tag`, { token: carol.token, body: { tags: {} } });
    const s = await sync(carol, `since=${base}`);
    assert.deepEqual(s.account_data.events, [{ type: "m.direct", content: { x: ["!a:b"] } }]);
    assert.deepEqual(s.rooms.join[roomId].account_data.events, [{ type: "m.tag", content: { tags: {} } }]);
    const initial = await sync(carol, `filter=${enc(JSON.stringify({ account_data: { not_types: ["m.direct"] } }))}`);
    assert.equal(initial.account_data, undefined);
    assert.equal(initial.rooms.join[roomId].account_data.events.length, 1);
  });

  it("filters: stored and inline, timeline limit with prev_batch usable for /messages", async () => {
    const roomId = await create(alice);
    for (let i = 0; i < 4; i++) await send(alice, roomId, `n${i}`);
    const stored = await t.request("POST", `${V3}/user/${enc(alice.userId)}/filter`, { token: alice.token, body: { room: { timeline: { limit: 2 } } } });
    assert.equal(stored.status, 200);
    const got = await t.request("GET", `${V3}/user/${enc(alice.userId)}/filter/${stored.body.filter_id}`, { token: alice.token });
    assert.deepEqual(got.body, { room: { timeline: { limit: 2 } } });
    assert.equal((await t.request("GET", `${V3}/user/${enc(alice.userId)}/filter/999`, { token: alice.token })).status, 404);
    assert.equal((await t.request("GET", `${V3}/user/${enc(alice.userId)}/filter/1`, { token: bob.token })).status, 403);
    const s = await sync(alice, `filter=${stored.body.filter_id}`);
    const room = s.rooms.join[roomId];
    assert.deepEqual(bodies(room.timeline.events), ["n2", "n3"]);
    assert.equal(room.timeline.limited, true);
    const older = await t.request("GET", `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=2&from=${room.timeline.prev_batch}`, { token: alice.token });
    assert.deepEqual(bodies(older.body.chunk), ["n1", "n0"]);
    const inline = await sync(alice, `filter=${enc(JSON.stringify({ room: { rooms: [], timeline: { limit: 1 } } }))}`);
    assert.equal(inline.rooms, undefined);
    const onlyTypes = await sync(alice, `filter=${enc(JSON.stringify({ room: { rooms: [roomId], timeline: { types: ["m.room.topic"] } } }))}`);
    assert.deepEqual(onlyTypes.rooms.join[roomId].timeline.events, []);
    const badFilter = await t.request("GET", `${V3}/sync?filter=nope`, { token: alice.token });
    assert.equal(badFilter.status, 400);
  });

  it("rejects malformed and future tokens and bad set_presence with 400 M_INVALID_PARAM", async () => {
    for (const q of ["since=garbage", "since=s999999999_0_0_0", "since=s1_2_3_4_5_6_7_8_9", "set_presence=busy", "timeout=abc", "full_state=maybe"]) {
      const r = await t.request("GET", `${V3}/sync?${q}`, { token: alice.token });
      assert.equal(r.status, 400, q);
      assert.equal(r.body.errcode, "M_INVALID_PARAM", q);
    }
    for (const p of ["online", "unavailable", "offline"]) assert.equal((await t.request("GET", `${V3}/sync?set_presence=${p}`, { token: alice.token })).status, 200);
    assert.equal((await t.request("GET", `/_matrix/client/r0/sync`, { token: alice.token })).status, 200);
  });

  it("full_state returns all state in an incremental sync", async () => {
    const roomId = await create(alice, { name: "Full" });
    const base = (await sync(alice)).next_batch;
    const s = await sync(alice, `since=${base}&full_state=true`);
    assert.ok(s.rooms.join[roomId].state.events.length + s.rooms.join[roomId].timeline.events.length > 3);
  });

  it("a waiting long-poll returns promptly on a message, typing and a receipt; others are not woken", async () => {
    const roomId = await create(alice, { preset: "public_chat" });
    await t.request("POST", `${V3}/join/${enc(roomId)}`, { token: bob.token, body: {} });
    const ev = await send(alice, roomId, "before");
    const trigger = [
      () => send(alice, roomId, "wake up"),
      () => t.request("PUT", `${V3}/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: alice.token, body: { typing: true, timeout: 5000 } }),
      () => t.request("POST", `${V3}/rooms/${enc(roomId)}/receipt/m.read/${enc(ev)}`, { token: alice.token, body: {} }),
    ];
    for (const fire of trigger) {
      const since = (await sync(bob)).next_batch;
      const carolEpoch = t.server.deps.notifier.epoch(carol.userId);
      const started = Date.now();
      const waiting = t.request("GET", `${V3}/sync?since=${since}&timeout=5000`, { token: bob.token });
      // Let the request reach the notifier before the change.
      while (t.server.deps.notifier.waiting() === 0) await new Promise((r) => setTimeout(r, 5));
      await fire();
      const r = await waiting;
      assert.equal(r.status, 200);
      assert.ok(Date.now() - started < 4000, "returned before the timeout");
      assert.ok(r.body.rooms.join[roomId], "the change is in the response");
      assert.notEqual(r.body.next_batch, since);
      assert.equal(t.server.deps.notifier.epoch(carol.userId), carolEpoch, "carol is in no shared room");
    }
  });

  it("a client that hangs up ends its long-poll on the server at once", async () => {
    const since = (await sync(carol)).next_batch;
    await t.server.app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = t.server.app.server.address() as AddressInfo;
    const before = t.server.deps.notifier.waiting();
    const req = httpRequest({ host: "127.0.0.1", port, path: `${V3}/sync?since=${since}&timeout=60000`, headers: { authorization: `Bearer ${carol.token}` } });
    req.on("error", () => {});
    req.end();
    while (t.server.deps.notifier.waiting() === before) await new Promise((r) => setTimeout(r, 5));
    req.destroy();
    const deadline = Date.now() + 5000;
    while (t.server.deps.notifier.waiting() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(t.server.deps.notifier.waiting(), before, "the server stopped waiting well before the 60 s timeout");
  });

  it("a long-poll with nothing new times out empty with the same token", async () => {
    const since = (await sync(carol)).next_batch;
    const r = await t.request("GET", `${V3}/sync?since=${since}&timeout=50`, { token: carol.token });
    assert.equal(r.status, 200);
    assert.equal(r.body.next_batch, since);
    assert.equal(r.body.rooms, undefined);
  });
});
