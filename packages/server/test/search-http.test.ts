// POST /search (room_events): full-text over joined rooms, keys, order, context, pagination, on both databases.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "./databases";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser, type TestServer, type TestUser } from "./support";

const enc = encodeURIComponent;
let txn = 0;
type Result = { rank: number; result: { event_id: string; content: Record<string, unknown> }; context?: Record<string, unknown> };

for (const { name, skip } of await testDatabases()) {
  describe(`message search on ${name}`, { skip }, () => {
    let t: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let shared: string;
    let secret: string;
    const sent: Record<string, string> = {};

    const send = async (u: TestUser, roomId: string, body: string) => {
      const id = (await expectOk(t, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/s${++txn}`, u, { msgtype: "m.text", body })).event_id as string;
      sent[body] = id;
      t.clock.advance(1000);
      return id;
    };
    const search = (u: TestUser, roomEvents: Record<string, unknown>, nextBatch?: string) =>
      t.request("POST", `/_matrix/client/v3/search${nextBatch ? `?next_batch=${enc(nextBatch)}` : ""}`, { token: u.token, body: { search_categories: { room_events: roomEvents } } });
    const ids = (res: { body: { search_categories: { room_events: { results: Result[] } } } }) => res.body.search_categories.room_events.results.map((r) => r.result.event_id);

    before(async () => {
      t = await createTestServer({}, { database: name });
      alice = await registerUser(t);
      bob = await registerUser(t);
      await t.server.deps.accounts.setProfile(alice.userId, { displayname: "Alice" });
      shared = await createRoom(t, alice, { preset: "public_chat", name: "Lunch plans", topic: "where we eat pizza" });
      await joinRoom(t, shared, bob);
      secret = await createRoom(t, alice, { preset: "private_chat" });
      await send(alice, shared, "Pizza tonight?");
      await send(bob, shared, "Yes, pizza with extra cheese");
      await send(alice, shared, "Café au lait afterwards");
      await send(alice, shared, "Or sushi");
      await send(alice, secret, "secret pizza recipe");
    });
    after(() => t.close());

    it("finds messages in joined rooms only, case-insensitively, by word prefix", async () => {
      const res = await search(bob, { search_term: "PIZZ", keys: ["content.body"] });
      assert.equal(res.status, 200);
      const found = new Set(ids(res));
      assert.deepEqual(found, new Set([sent["Pizza tonight?"], sent["Yes, pizza with extra cheese"]]));
      assert.equal(res.body.search_categories.room_events.count, 2);
      assert.ok(res.body.search_categories.room_events.highlights.includes("pizz"));
      if (specUnavailable() === null) {
        assertMatchesSpec(await specValidators().responseValidator("search.yaml", "/search", "post", 200), res.body, "search");
      }
      assert.equal(ids(await search(alice, { search_term: "pizza", keys: ["content.body"] })).length, 3, "Alice also sees her private room");
      assert.deepEqual(ids(await search(bob, { search_term: "cafe" })), [sent["Café au lait afterwards"]], "diacritics are folded");
    });

    it("searches names and topics by key, and honours room filters", async () => {
      const byTopic = await search(bob, { search_term: "pizza", keys: ["content.topic"] });
      assert.equal(byTopic.body.search_categories.room_events.results.length, 1);
      assert.equal(byTopic.body.search_categories.room_events.results[0].result.content.topic, "where we eat pizza");
      const byName = await search(bob, { search_term: "lunch", keys: ["content.name"] });
      assert.equal(byName.body.search_categories.room_events.count, 1);
      assert.equal((await search(alice, { search_term: "pizza", keys: ["content.body"], filter: { rooms: [secret] } })).body.search_categories.room_events.count, 1);
      assert.equal((await search(alice, { search_term: "pizza", keys: ["content.body"], filter: { not_rooms: [shared] } })).body.search_categories.room_events.count, 1);
    });

    it("orders by recent, pages with next_batch, and gives context with profiles", async () => {
      const first = await search(bob, { search_term: "pizza", keys: ["content.body"], order_by: "recent", filter: { limit: 1 } });
      assert.deepEqual(ids(first), [sent["Yes, pizza with extra cheese"]]);
      const next = first.body.search_categories.room_events.next_batch as string;
      assert.ok(next);
      const second = await search(bob, { search_term: "pizza", keys: ["content.body"], order_by: "recent", filter: { limit: 1 } }, next);
      assert.deepEqual(ids(second), [sent["Pizza tonight?"]]);
      assert.equal(second.body.search_categories.room_events.next_batch, undefined);

      const withContext = await search(bob, { search_term: "cheese", event_context: { before_limit: 1, after_limit: 1, include_profile: true } });
      const ctx = withContext.body.search_categories.room_events.results[0].context;
      assert.deepEqual(ctx.events_before.map((e: { event_id: string }) => e.event_id), [sent["Pizza tonight?"]]);
      assert.deepEqual(ctx.events_after.map((e: { event_id: string }) => e.event_id), [sent["Café au lait afterwards"]]);
      assert.equal(ctx.profile_info[alice.userId].displayname, "Alice");
      const withState = await search(bob, { search_term: "sushi", include_state: true });
      assert.ok(withState.body.search_categories.room_events.state[shared].some((e: { type: string }) => e.type === "m.room.create"));
    });

    it("forgets a redacted message", async () => {
      const id = await send(alice, shared, "ephemeral walrus");
      assert.deepEqual(ids(await search(bob, { search_term: "walrus" })), [id]);
      await expectOk(t, "PUT", `/_matrix/client/v3/rooms/${enc(shared)}/redact/${enc(id)}/w1`, alice, {});
      assert.deepEqual(ids(await search(bob, { search_term: "walrus" })), []);
    });

    it("treats query syntax as plain words and refuses bad requests with Matrix errors", async () => {
      for (const term of ['"pizza" OR *', "pizza & | ! :*", "NEAR(pizza)", ""]) {
        const res = await search(bob, { search_term: term, keys: ["content.body"] });
        assert.equal(res.status, 200, term);
      }
      assert.deepEqual((await t.request("POST", "/_matrix/client/v3/search", { token: bob.token, body: { search_categories: {} } })).body, { search_categories: {} });
      for (const [body, errcode] of [
        [{}, "M_MISSING_PARAM"],
        [{ search_categories: { room_events: {} } }, "M_MISSING_PARAM"],
        [{ search_categories: { room_events: { search_term: "x", keys: ["content.secret"] } } }, "M_INVALID_PARAM"],
        [{ search_categories: { room_events: { search_term: "x", order_by: "oldest" } } }, "M_INVALID_PARAM"],
      ] as const) {
        const res = await t.request("POST", "/_matrix/client/v3/search", { token: bob.token, body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.errcode, errcode, JSON.stringify(body));
      }
      const badBatch = await search(bob, { search_term: "pizza" }, "nonsense");
      assert.equal(badBatch.body.errcode, "M_INVALID_PARAM");
    });
  });
}
