import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRoom, createTestServer, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

describe("rooms over HTTP", () => {
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
  const send = (who: TestUser, roomId: string, body: Record<string, unknown>, type = "m.room.message") =>
    t.request("PUT", `${V3}/rooms/${enc(roomId)}/send/${type}/t${++txn}`, { token: who.token, body });
  const post = (who: TestUser, path: string, body: unknown = {}) => t.request("POST", `${V3}${path}`, { token: who.token, body });

  it("creates a private room with the spec's initial state", async () => {
    const roomId = await create(alice, { name: "Lounge", topic: "Chat", invite: [bob.userId] });
    const r = await t.request("GET", `${V3}/rooms/${enc(roomId)}/state`, { token: alice.token });
    assert.equal(r.status, 200);
    const byKey = new Map<string, { content: Record<string, unknown> }>(r.body.map((e: { type: string; state_key: string }) => [`${e.type}|${e.state_key}`, e]));
    assert.equal(byKey.get("m.room.create|")?.content.room_version, "10");
    assert.equal(byKey.get(`m.room.member|${alice.userId}`)?.content.membership, "join");
    assert.equal(byKey.get(`m.room.member|${bob.userId}`)?.content.membership, "invite");
    assert.equal(byKey.get("m.room.join_rules|")?.content.join_rule, "invite");
    assert.equal(byKey.get("m.room.history_visibility|")?.content.history_visibility, "shared");
    assert.equal(byKey.get("m.room.guest_access|")?.content.guest_access, "can_join");
    assert.equal(byKey.get("m.room.name|")?.content.name, "Lounge");
    assert.equal(byKey.get("m.room.topic|")?.content.topic, "Chat");
    assert.equal((byKey.get("m.room.power_levels|")?.content.users as Record<string, number>)[alice.userId], 100);
    const name = await t.request("GET", `${V3}/rooms/${enc(roomId)}/state/m.room.name/`, { token: alice.token });
    assert.deepEqual(name.body, { name: "Lounge" });
    const joined = await t.request("GET", `${V3}/joined_rooms`, { token: alice.token });
    assert.ok(joined.body.joined_rooms.includes(roomId));
  });

  it("public_chat, trusted_private_chat, overrides, initial_state and an alias", async () => {
    const roomId = await create(alice, {
      preset: "public_chat",
      room_alias_name: "town",
      power_level_content_override: { events_default: 10 },
      initial_state: [{ type: "m.room.history_visibility", content: { history_visibility: "world_readable" } }],
    });
    const get = (type: string) => t.request("GET", `${V3}/rooms/${enc(roomId)}/state/${type}`, { token: alice.token });
    assert.equal((await get("m.room.join_rules")).body.join_rule, "public");
    assert.equal((await get("m.room.guest_access")).body.guest_access, "forbidden");
    assert.equal((await get("m.room.power_levels")).body.events_default, 10);
    assert.equal((await get("m.room.history_visibility")).body.history_visibility, "world_readable");
    assert.equal((await get("m.room.canonical_alias")).body.alias, "#town:localhost");
    const alias = await t.request("GET", `${V3}/directory/room/${enc("#town:localhost")}`);
    assert.deepEqual(alias.body, { room_id: roomId, servers: ["localhost"] });
    const taken = await t.request("POST", `${V3}/createRoom`, { token: bob.token, body: { room_alias_name: "town" } });
    assert.equal(taken.status, 400);
    assert.equal(taken.body.errcode, "M_ROOM_IN_USE");

    const trusted = await create(alice, { preset: "trusted_private_chat", invite: [bob.userId], is_direct: true });
    const pl = await t.request("GET", `${V3}/rooms/${enc(trusted)}/state/m.room.power_levels`, { token: alice.token });
    assert.equal(pl.body.users[bob.userId], 100);
    const invite = await t.request("GET", `${V3}/rooms/${enc(trusted)}/state/m.room.member/${enc(bob.userId)}`, { token: alice.token });
    assert.equal(invite.body.is_direct, true);
  });

  it("refuses bad createRoom input", async () => {
    const bad = await t.request("POST", `${V3}/createRoom`, { token: alice.token, body: { preset: "nope" } });
    assert.equal(bad.status, 400);
    const ver = await t.request("POST", `${V3}/createRoom`, { token: alice.token, body: { room_version: "1" } });
    assert.equal(ver.body.errcode, "M_UNSUPPORTED_ROOM_VERSION");
    const noAuth = await t.request("POST", `${V3}/createRoom`, { body: {} });
    assert.equal(noAuth.status, 401);
  });

  it("send is idempotent per device and transaction id", async () => {
    const roomId = await create(alice);
    const path = `${V3}/rooms/${enc(roomId)}/send/m.room.message/same-txn`;
    const a = await t.request("PUT", path, { token: alice.token, body: { msgtype: "m.text", body: "hi" } });
    const b = await t.request("PUT", path, { token: alice.token, body: { msgtype: "m.text", body: "hi" } });
    assert.equal(a.status, 200);
    assert.equal(a.body.event_id, b.body.event_id);
    const ev = await t.request("GET", `${V3}/rooms/${enc(roomId)}/event/${enc(a.body.event_id)}`, { token: alice.token });
    assert.equal(ev.body.content.body, "hi");
    assert.equal(ev.body.sender, alice.userId);
    assert.equal(ev.body.unsigned.transaction_id, "same-txn");
    assert.equal(typeof ev.body.origin_server_ts, "number");
  });

  it("invite, join, leave, kick, ban, unban and forget follow the rules", async () => {
    const roomId = await create(alice);
    const r = enc(roomId);
    // Not invited: cannot join an invite-only room, and nothing changes.
    assert.equal((await post(bob, `/rooms/${r}/join`)).status, 403);
    assert.equal((await send(bob, roomId, { body: "x" })).status, 403);
    assert.equal((await post(bob, `/rooms/${r}/invite`, { user_id: carol.userId })).status, 403);
    assert.equal((await post(alice, `/rooms/${r}/invite`, { user_id: bob.userId })).status, 200);
    const joined = await post(bob, `/join/${r}`);
    assert.equal(joined.status, 200);
    assert.equal(joined.body.room_id, roomId);
    assert.equal((await send(bob, roomId, { body: "hello" })).status, 200);
    // A plain member cannot kick or ban the creator.
    assert.equal((await post(bob, `/rooms/${r}/kick`, { user_id: alice.userId })).status, 403);
    assert.equal((await post(bob, `/rooms/${r}/ban`, { user_id: alice.userId })).status, 403);
    // ...nor set state that needs power 50.
    const topic = await t.request("PUT", `${V3}/rooms/${r}/state/m.room.topic`, { token: bob.token, body: { topic: "mine" } });
    assert.equal(topic.status, 403);
    assert.equal(topic.body.errcode, "M_FORBIDDEN");
    assert.equal((await t.request("GET", `${V3}/rooms/${r}/state/m.room.topic`, { token: bob.token })).status, 404);

    let members = await t.request("GET", `${V3}/rooms/${r}/joined_members`, { token: alice.token });
    assert.deepEqual(Object.keys(members.body.joined).sort(), [alice.userId, bob.userId].sort());
    assert.equal((await post(alice, `/rooms/${r}/kick`, { user_id: bob.userId, reason: "bye" })).status, 200);
    assert.equal((await send(bob, roomId, { body: "still here?" })).status, 403);
    members = await t.request("GET", `${V3}/rooms/${r}/members?membership=leave`, { token: alice.token });
    assert.deepEqual(members.body.chunk.map((e: { state_key: string }) => e.state_key), [bob.userId]);
    assert.equal(members.body.chunk[0].content.reason, "bye");

    assert.equal((await post(alice, `/rooms/${r}/ban`, { user_id: bob.userId })).status, 200);
    assert.equal((await post(alice, `/rooms/${r}/invite`, { user_id: bob.userId })).status, 403);
    assert.equal((await post(alice, `/rooms/${r}/unban`, { user_id: bob.userId })).status, 200);
    assert.equal((await post(alice, `/rooms/${r}/unban`, { user_id: bob.userId })).status, 403);
    const notMembers = await t.request("GET", `${V3}/rooms/${r}/members?not_membership=leave`, { token: alice.token });
    assert.deepEqual(notMembers.body.chunk.map((e: { state_key: string }) => e.state_key), [alice.userId]);

    // A former member still reads history up to leaving, then forgets the room.
    const state = await t.request("GET", `${V3}/rooms/${r}/state`, { token: bob.token });
    assert.equal(state.status, 200);
    assert.equal((await post(alice, `/rooms/${r}/forget`)).status, 400);
    assert.equal((await post(bob, `/rooms/${r}/forget`)).status, 200);
    // Never a member: forbidden.
    assert.equal((await t.request("GET", `${V3}/rooms/${r}/state`, { token: carol.token })).status, 403);
    assert.equal((await post(alice, `/rooms/${r}/leave`)).status, 200);
    const joinedRooms = await t.request("GET", `${V3}/joined_rooms`, { token: alice.token });
    assert.ok(!joinedRooms.body.joined_rooms.includes(roomId));
  });

  it("joins a public room by alias; unknown rooms and aliases are 404", async () => {
    const roomId = await create(alice, { preset: "public_chat", room_alias_name: "open" });
    const j = await post(carol, `/join/${enc("#open:localhost")}`);
    assert.equal(j.status, 200);
    assert.equal(j.body.room_id, roomId);
    assert.equal((await post(carol, `/join/${enc("#nope:localhost")}`)).status, 404);
    assert.equal((await post(carol, `/join/${enc("!nope:localhost")}`)).status, 404);
    assert.equal((await post(carol, `/rooms/${enc("!nope:localhost")}/leave`)).status, 404);
    assert.equal((await send(carol, "!nope:localhost", { body: "x" })).status, 403);
  });

  it("power levels decide who may send what", async () => {
    const roomId = await create(alice, { preset: "public_chat", power_level_content_override: { events: { "m.room.message": 20 } } });
    await post(bob, `/join/${enc(roomId)}`);
    assert.equal((await send(bob, roomId, { body: "x" })).status, 403);
    assert.equal((await send(bob, roomId, { body: "x" }, "m.reaction")).status, 200);
    const raise = await t.request("PUT", `${V3}/rooms/${enc(roomId)}/state/m.room.power_levels`, {
      token: alice.token,
      body: { users: { [alice.userId]: 100, [bob.userId]: 20 }, events: { "m.room.message": 20 } },
    });
    assert.equal(raise.status, 200);
    assert.equal((await send(bob, roomId, { body: "now" })).status, 200);
    const selfPromote = await t.request("PUT", `${V3}/rooms/${enc(roomId)}/state/m.room.power_levels`, {
      token: bob.token,
      body: { users: { [alice.userId]: 100, [bob.userId]: 100 } },
    });
    assert.equal(selfPromote.status, 403);
  });

  it("aliases: put, get, delete with permissions", async () => {
    const roomId = await create(alice);
    const alias = enc("#mine:localhost");
    assert.equal((await t.request("PUT", `${V3}/directory/room/${alias}`, { token: alice.token, body: { room_id: roomId } })).status, 200);
    assert.equal((await t.request("PUT", `${V3}/directory/room/${alias}`, { token: alice.token, body: { room_id: roomId } })).status, 409);
    assert.equal((await t.request("PUT", `${V3}/directory/room/${enc("#x:elsewhere")}`, { token: alice.token, body: { room_id: roomId } })).status, 400);
    const aliases = await t.request("GET", `${V3}/rooms/${enc(roomId)}/aliases`, { token: alice.token });
    assert.deepEqual(aliases.body.aliases, ["#mine:localhost"]);
    assert.equal((await t.request("DELETE", `${V3}/directory/room/${alias}`, { token: bob.token })).status, 403);
    assert.equal((await t.request("DELETE", `${V3}/directory/room/${alias}`, { token: alice.token })).status, 200);
    assert.equal((await t.request("GET", `${V3}/directory/room/${alias}`)).status, 404);
  });

  it("public room directory lists published rooms", async () => {
    const roomId = await create(alice, { preset: "public_chat", visibility: "public", name: "Listed" });
    const list = await t.request("GET", `${V3}/publicRooms`);
    const entry = list.body.chunk.find((c: { room_id: string }) => c.room_id === roomId);
    assert.equal(entry.name, "Listed");
    assert.equal(entry.num_joined_members, 1);
    const vis = await t.request("GET", `${V3}/directory/list/room/${enc(roomId)}`);
    assert.equal(vis.body.visibility, "public");
    assert.equal((await t.request("PUT", `${V3}/directory/list/room/${enc(roomId)}`, { token: bob.token, body: { visibility: "private" } })).status, 403);
  });

  it("paginates messages both ways and gives context", async () => {
    const roomId = await create(alice);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send(alice, roomId, { msgtype: "m.text", body: `m${i}` })).body.event_id);
    const r = enc(roomId);
    const page1 = await t.request("GET", `${V3}/rooms/${r}/messages?dir=b&limit=3`, { token: alice.token });
    assert.equal(page1.status, 200);
    assert.deepEqual(page1.body.chunk.map((e: { content: { body: string } }) => e.content.body), ["m4", "m3", "m2"]);
    assert.equal(typeof page1.body.start, "string");
    const page2 = await t.request("GET", `${V3}/rooms/${r}/messages?dir=b&limit=3&from=${page1.body.end}`, { token: alice.token });
    assert.deepEqual(page2.body.chunk.map((e: { content: { body?: string } }) => e.content.body).slice(0, 2), ["m1", "m0"]);
    const filtered = await t.request("GET", `${V3}/rooms/${r}/messages?dir=b&limit=50&filter=${enc(JSON.stringify({ types: ["m.room.message"] }))}`, {
      token: alice.token,
    });
    assert.equal(filtered.body.chunk.length, 5);
    assert.equal(filtered.body.end, undefined);
    const fwd = await t.request("GET", `${V3}/rooms/${r}/messages?dir=f&limit=100`, { token: alice.token });
    assert.equal(fwd.body.chunk[0].type, "m.room.create");
    assert.equal(fwd.body.chunk.at(-1).content.body, "m4");
    const bad = await t.request("GET", `${V3}/rooms/${r}/messages?from=garbage`, { token: alice.token });
    assert.equal(bad.status, 400);
    const ctx = await t.request("GET", `${V3}/rooms/${r}/context/${enc(ids[2]!)}?limit=2`, { token: alice.token });
    assert.equal(ctx.status, 200);
    assert.equal(ctx.body.event.content.body, "m2");
    assert.deepEqual(ctx.body.events_before.map((e: { content: { body: string } }) => e.content.body), ["m1"]);
    assert.deepEqual(ctx.body.events_after.map((e: { content: { body: string } }) => e.content.body), ["m3"]);
    assert.ok(ctx.body.state.length > 0);
    assert.equal((await t.request("GET", `${V3}/rooms/${r}/messages`, { token: carol.token })).status, 403);
    assert.equal((await t.request("GET", `${V3}/rooms/${r}/event/${enc("$missing")}`, { token: alice.token })).status, 404);
  });

  it("account data: global and per room, only for yourself", async () => {
    const roomId = await create(alice);
    const u = enc(alice.userId);
    assert.equal((await t.request("GET", `${V3}/user/${u}/account_data/x.test`, { token: alice.token })).status, 404);
    assert.equal((await t.request("PUT", `${V3}/user/${u}/account_data/x.test`, { token: alice.token, body: { a: 1 } })).status, 200);
    assert.deepEqual((await t.request("GET", `${V3}/user/${u}/account_data/x.test`, { token: alice.token })).body, { a: 1 });
    assert.equal((await t.request("GET", `${V3}/user/${u}/account_data/x.test`, { token: bob.token })).status, 403);
    const rp = `${V3}/user/${u}/rooms/${enc(roomId)}/account_data/m.tag`;
    assert.equal((await t.request("PUT", rp, { token: alice.token, body: { tags: { "m.favourite": {} } } })).status, 200);
    assert.deepEqual((await t.request("GET", rp, { token: alice.token })).body, { tags: { "m.favourite": {} } });
    assert.equal((await t.request("PUT", `${V3}/user/${u}/account_data/m.fully_read`, { token: alice.token, body: {} })).status, 405);
  });

  it("typing and receipts need membership; push rules have the defaults", async () => {
    const roomId = await create(alice);
    const r = enc(roomId);
    const typing = (who: TestUser, userId: string) =>
      t.request("PUT", `${V3}/rooms/${r}/typing/${enc(userId)}`, { token: who.token, body: { typing: true, timeout: 1000 } });
    assert.equal((await typing(alice, alice.userId)).status, 200);
    assert.equal((await typing(alice, bob.userId)).status, 403);
    assert.equal((await typing(bob, bob.userId)).status, 403);
    const ev = (await send(alice, roomId, { body: "read me" })).body.event_id as string;
    assert.equal((await post(alice, `/rooms/${r}/receipt/m.read/${enc(ev)}`)).status, 200);
    assert.equal((await post(bob, `/rooms/${r}/receipt/m.read/${enc(ev)}`)).status, 403);
    assert.equal((await post(alice, `/rooms/${r}/receipt/m.bogus/${enc(ev)}`)).status, 400);
    assert.equal((await post(alice, `/rooms/${r}/read_markers`, { "m.fully_read": ev, "m.read": ev })).status, 200);
    const fr = await t.request("GET", `${V3}/user/${enc(alice.userId)}/rooms/${r}/account_data/m.fully_read`, { token: alice.token });
    assert.deepEqual(fr.body, { event_id: ev });
    const rules = await t.request("GET", `${V3}/pushrules/`, { token: alice.token });
    assert.equal(rules.status, 200);
    assert.ok(rules.body.global.override.some((x: { rule_id: string }) => x.rule_id === ".m.rule.master"));
    assert.ok(rules.body.global.underride.some((x: { rule_id: string }) => x.rule_id === ".m.rule.message"));
    const g = await t.request("GET", `${V3}/pushrules/global/`, { token: alice.token });
    assert.equal(g.body.content[0].pattern, "alice");
  });
});
