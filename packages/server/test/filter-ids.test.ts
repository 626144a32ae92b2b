import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestServer, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

/** Every id-valued filter field, with a value that is not an id of its kind. */
const badFilters: [string, Record<string, unknown>][] = [
  ["room.rooms", { room: { rooms: ["not_a_room_id"] } }],
  ["room.not_rooms", { room: { not_rooms: ["#alias:example.test"] } }],
  ["room.timeline.rooms", { room: { timeline: { rooms: ["not_a_room_id"] } } }],
  ["room.state.not_rooms", { room: { state: { not_rooms: ["@user:example.test"] } } }],
  ["room.ephemeral.rooms", { room: { ephemeral: { rooms: [""] } } }],
  ["room.account_data.rooms", { room: { account_data: { rooms: ["!"] } } }],
  ["room.timeline.senders", { room: { timeline: { senders: ["not_a_sender_id"] } } }],
  ["room.timeline.not_senders", { room: { timeline: { not_senders: ["!room:example.test"] } } }],
  ["room.state.senders", { room: { state: { senders: ["alice"] } } }],
  ["presence.senders", { presence: { senders: ["not_a_sender_id"] } }],
  ["presence.not_senders", { presence: { not_senders: ["@"] } }],
  ["account_data.senders", { account_data: { senders: ["nobody"] } }],
];

describe("filters refuse ids that are not ids", () => {
  let t: TestServer;
  let alice: TestUser;
  before(async () => {
    t = await createTestServer({ server_name: "example.test" });
    alice = await registerUser(t, "alice");
  });
  after(() => t.close());

  for (const [field, filter] of badFilters) {
    it(`${field}: POST /filter is 400 M_BAD_JSON, inline /sync 400 M_INVALID_PARAM`, async () => {
      const stored = await t.request("POST", `${V3}/user/${enc(alice.userId)}/filter`, { token: alice.token, body: filter });
      assert.equal(stored.status, 400);
      assert.equal(stored.body.errcode, "M_BAD_JSON");
      assert.match(stored.body.error, new RegExp(field.replace(/\./g, "\\.")));
      const inline = await t.request("GET", `${V3}/sync?filter=${enc(JSON.stringify(filter))}`, { token: alice.token });
      assert.equal(inline.status, 400);
      assert.equal(inline.body.errcode, "M_INVALID_PARAM");
    });
  }

  it("real ids are accepted in every one of those fields", async () => {
    const room = ["!abc:example.test"];
    const user = ["@bob:example.test"];
    const ev = { senders: user, not_senders: user };
    const roomEv = { ...ev, rooms: room, not_rooms: room };
    const filter = { presence: ev, account_data: ev, room: { rooms: room, not_rooms: room, timeline: roomEv, state: roomEv, ephemeral: roomEv, account_data: roomEv } };
    const stored = await t.request("POST", `${V3}/user/${enc(alice.userId)}/filter`, { token: alice.token, body: filter });
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
    const inline = await t.request("GET", `${V3}/sync?filter=${enc(JSON.stringify(filter))}`, { token: alice.token });
    assert.equal(inline.status, 200, JSON.stringify(inline.body));
  });
});
