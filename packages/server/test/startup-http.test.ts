// The start-up calls Element makes: third-party protocols, 3PIDs, TURN credentials, reports, space hierarchy.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "./databases";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser, type TestServer, type TestUser } from "./support";

const enc = encodeURIComponent;
const spec = specUnavailable() === null ? specValidators() : null;

async function matchesSpec(file: string, path: string, method: string, status: number, body: unknown): Promise<void> {
  if (spec) assertMatchesSpec(await spec.responseValidator(file, path, method, status), body, `${method} ${path} ${status}`);
}

describe("start-up calls without state", () => {
  let t: TestServer;
  let alice: TestUser;
  before(async () => {
    t = await createTestServer();
    alice = await registerUser(t);
  });
  after(() => t.close());

  it("GET /thirdparty/protocols is {} and GET /account/3pid has no threepids; both need a token", async () => {
    assert.deepEqual(await expectOk(t, "GET", "/_matrix/client/v3/thirdparty/protocols", alice), {});
    const threepids = await expectOk(t, "GET", "/_matrix/client/v3/account/3pid", alice);
    assert.deepEqual(threepids, { threepids: [] });
    for (const path of ["/thirdparty/protocols", "/account/3pid", "/voip/turnServer"]) {
      const res = await t.request("GET", `/_matrix/client/v3${path}`);
      assert.equal(res.status, 401, path);
      assert.equal(res.body.errcode, "M_MISSING_TOKEN");
    }
  });

  it("GET /voip/turnServer is {} when no TURN server is configured", async () => {
    assert.deepEqual(await expectOk(t, "GET", "/_matrix/client/v3/voip/turnServer", alice), {});
  });
});

describe("GET /voip/turnServer with a shared secret", () => {
  it("gives credentials the TURN server can check: expiry:user signed with HMAC-SHA1", async () => {
    const uris = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"];
    const t = await createTestServer({ voip: { turn_uris: uris, turn_shared_secret: "s3cret", turn_user_lifetime: "2h" } });
    try {
      const alice = await registerUser(t);
      const body = await expectOk(t, "GET", "/_matrix/client/v3/voip/turnServer", alice);
      const expiry = Math.floor(t.clock.now() / 1000) + 7200;
      assert.equal(body.username, `${expiry}:${alice.userId}`);
      assert.equal(body.password, createHmac("sha1", "s3cret").update(body.username).digest("base64"));
      assert.deepEqual(body.uris, uris);
      assert.equal(body.ttl, 7200);
      await matchesSpec("voip.yaml", "/voip/turnServer", "get", 200, body);
    } finally {
      await t.close();
    }
  });
});

for (const { name, skip } of await testDatabases()) {
  describe(`reports on ${name}`, { skip }, () => {
    let t: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let roomId: string;
    let eventId: string;
    before(async () => {
      t = await createTestServer({}, { database: name });
      [alice, bob, carol] = [await registerUser(t), await registerUser(t), await registerUser(t)];
      roomId = await createRoom(t, alice, { preset: "public_chat" });
      await joinRoom(t, roomId, bob);
      eventId = (await expectOk(t, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/r1`, alice, { msgtype: "m.text", body: "rude" })).event_id;
    });
    after(() => t.close());

    const reportsInDb = () => t.server.database.db.selectFrom("reports").selectAll().orderBy("received_ts").execute();

    it("stores a member's report of an event, and of a room, for the operator", async () => {
      assert.deepEqual(await expectOk(t, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc(eventId)}`, bob, { reason: "this makes me sad", score: -100 }), {});
      t.clock.advance(1000);
      assert.deepEqual(await expectOk(t, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/report`, carol, { reason: "spam room" }), {});
      const rows = await reportsInDb();
      assert.deepEqual(
        rows.map((r) => [r.reporter, r.room_id, r.event_id, r.reason, r.score]),
        [
          [bob.userId, roomId, eventId, "this makes me sad", -100],
          [carol.userId, roomId, null, "spam room", null],
        ],
      );
    });

    it("answers 404 M_NOT_FOUND for events the reporter cannot see or that do not exist, and rooms that do not exist", async () => {
      const before = (await reportsInDb()).length;
      for (const [user, path] of [
        [carol, `/rooms/${enc(roomId)}/report/${enc(eventId)}`],
        [bob, `/rooms/${enc(roomId)}/report/${enc("$nosuchevent")}`],
        [bob, `/rooms/${enc(`!nosuchroom:${t.config.server_name}`)}/report`],
      ] as const) {
        const res = await t.request("POST", `/_matrix/client/v3${path}`, { token: user.token, body: { reason: "x" } });
        assert.equal(res.status, 404, path);
        assert.equal(res.body.errcode, "M_NOT_FOUND", path);
      }
      assert.equal((await reportsInDb()).length, before);
    });

    it("refuses bad bodies with Matrix errors", async () => {
      const base = `/_matrix/client/v3/rooms/${enc(roomId)}`;
      const cases = [
        [`${base}/report/${enc(eventId)}`, { score: 5 }, "M_INVALID_PARAM"],
        [`${base}/report/${enc(eventId)}`, { reason: 7 }, "M_BAD_JSON"],
        [`${base}/report`, {}, "M_MISSING_PARAM"],
      ] as const;
      for (const [path, body, errcode] of cases) {
        const res = await t.request("POST", path, { token: bob.token, body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.errcode, errcode, JSON.stringify(body));
      }
      const notJson = await t.request("POST", `${base}/report`, { token: bob.token, rawBody: "{" });
      assert.equal(notJson.body.errcode, "M_NOT_JSON");
    });
  });
}

for (const { name, skip } of await testDatabases()) {
  describe(`GET /_matrix/client/v1/rooms/{roomId}/hierarchy on ${name}`, { skip }, () => {
    let t: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let space: string;
    let lobby: string;
    let secret: string;
    let sub: string;
    let inner: string;
    const h = (user: TestUser, roomId: string, query = "") => t.request("GET", `/_matrix/client/v1/rooms/${enc(roomId)}/hierarchy${query}`, { token: user.token });
    const addChild = (parent: string, child: string, content: Record<string, unknown>) =>
      expectOk(t, "PUT", `/_matrix/client/v3/rooms/${enc(parent)}/state/m.space.child/${enc(child)}`, alice, content);

    before(async () => {
      t = await createTestServer({}, { database: name });
      alice = await registerUser(t);
      bob = await registerUser(t);
      const via = [t.config.server_name];
      space = await createRoom(t, alice, { preset: "public_chat", name: "Team", creation_content: { type: "m.space" } });
      lobby = await createRoom(t, alice, { preset: "public_chat", name: "Lobby", topic: "say hi" });
      secret = await createRoom(t, alice, { preset: "private_chat", name: "Secret" });
      sub = await createRoom(t, alice, { preset: "public_chat", name: "Sub-space", creation_content: { type: "m.space" } });
      inner = await createRoom(t, alice, { preset: "public_chat", name: "Inner" });
      await addChild(space, lobby, { via, suggested: true, order: "a" });
      await addChild(space, secret, { via });
      await addChild(space, sub, { via, order: "b" });
      await addChild(space, `!gone:${t.config.server_name}`, { via });
      await addChild(space, inner, {}); // no via: not a child any more
      await addChild(sub, inner, { via });
      await joinRoom(t, space, bob);
    });
    after(() => t.close());

    it("walks the space breadth first, with only the rooms the requester may see", async () => {
      const res = await h(bob, space);
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.rooms.map((r: { room_id: string }) => r.room_id),
        [space, lobby, sub, inner],
      );
      const [top, lobbyEntry] = res.body.rooms;
      assert.equal(top.room_type, "m.space");
      assert.equal(top.name, "Team");
      assert.equal(top.num_joined_members, 2);
      assert.deepEqual(
        top.children_state.map((c: { state_key: string }) => c.state_key),
        // Ordered children first (by `order`), then the rest by room id.
        [lobby, sub, ...[secret, `!gone:${t.config.server_name}`].sort()],
      );
      assert.equal(lobbyEntry.topic, "say hi");
      assert.equal(lobbyEntry.join_rule, "public");
      assert.equal(res.body.next_batch, undefined);
      await matchesSpec("space_hierarchy.yaml", "/rooms/{roomId}/hierarchy", "get", 200, res.body);
      // Alice, in every room, also sees the private one.
      assert.ok((await h(alice, space)).body.rooms.some((r: { room_id: string }) => r.room_id === secret));
    });

    it("honours suggested_only and max_depth, and pages with next_batch", async () => {
      const suggested = await h(bob, space, "?suggested_only=true");
      assert.deepEqual(suggested.body.rooms.map((r: { room_id: string }) => r.room_id), [space, lobby]);
      const shallow = await h(bob, space, "?max_depth=1");
      assert.deepEqual(shallow.body.rooms.map((r: { room_id: string }) => r.room_id), [space, lobby, sub]);
      const first = await h(bob, space, "?limit=2");
      assert.equal(first.body.rooms.length, 2);
      assert.ok(first.body.next_batch);
      const second = await h(bob, space, `?limit=2&from=${enc(first.body.next_batch)}`);
      assert.deepEqual(second.body.rooms.map((r: { room_id: string }) => r.room_id), [sub, inner]);
      assert.equal(second.body.next_batch, undefined);
      const changed = await h(bob, space, `?limit=2&max_depth=1&from=${enc(first.body.next_batch)}`);
      assert.equal(changed.status, 400);
      assert.equal(changed.body.errcode, "M_INVALID_PARAM");
    });

    it("refuses a room the requester may not see, and bad parameters", async () => {
      const hidden = await h(bob, secret);
      assert.equal(hidden.status, 403);
      assert.equal(hidden.body.errcode, "M_FORBIDDEN");
      for (const query of ["?from=nonsense", "?limit=0", "?max_depth=-1", "?suggested_only=maybe"]) {
        const res = await h(bob, space, query);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.errcode, "M_INVALID_PARAM", query);
      }
      assert.equal((await h(bob, "not-a-room")).body.errcode, "M_INVALID_PARAM");
    });
  });
}
