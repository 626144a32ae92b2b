// Presence payloads (GET/PUT /presence, /sync presence events) checked against the spec schemas with busy added.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BUSY, assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createTestServer, registerUser, type TestServer, type TestUser } from "./support";

const skip = specUnavailable() ?? false;
if (skip) console.log(`# ${skip}`);

describe("presence payloads match the Matrix spec schemas (busy added)", { skip }, () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  before(async () => {
    t = await createTestServer();
    alice = await registerUser(t);
    bob = await registerUser(t);
    const room = await t.request("POST", "/_matrix/client/v3/createRoom", { token: alice.token, body: { preset: "private_chat", invite: [bob.userId] } });
    assert.equal(room.status, 200, JSON.stringify(room.body));
    const joined = await t.request("POST", `/_matrix/client/v3/join/${encodeURIComponent(room.body.room_id)}`, { token: bob.token, body: {} });
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
  });
  after(async () => {
    await t.close();
  });

  test("PUT and GET /presence/{userId}/status, and the m.presence events /sync carries", async () => {
    const v = specValidators();
    const putBody = await v.requestValidator("presence.yaml", "/presence/{userId}/status", "put");
    const putOk = await v.responseValidator("presence.yaml", "/presence/{userId}/status", "put", 200);
    const getOk = await v.responseValidator("presence.yaml", "/presence/{userId}/status", "get", 200);
    const syncOk = await v.responseValidator("sync.yaml", "/sync", "get", 200);
    const event = await v.eventValidator("m.presence");

    const bobInitial = await t.request("GET", "/_matrix/client/v3/sync?timeout=0", { token: bob.token });
    assert.equal(bobInitial.status, 200);
    assertMatchesSpec(syncOk, bobInitial.body, "bob initial /sync");

    for (const [state, status_msg] of [[BUSY, "on a call"], ["online", undefined], ["unavailable", "away"], [BUSY, undefined]] as const) {
      const body = status_msg === undefined ? { presence: state } : { presence: state, status_msg };
      assertMatchesSpec(putBody, body, "PUT /presence body (our own input)");
      const put = await t.request("PUT", `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, { token: alice.token, body });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assertMatchesSpec(putOk, put.body, `PUT /presence ${state}`);
      t.clock.advance(2_000); // past the PUT rate limit

      for (const viewer of [alice, bob]) {
        const got = await t.request("GET", `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, { token: viewer.token });
        assert.equal(got.status, 200, JSON.stringify(got.body));
        assertMatchesSpec(getOk, got.body, `GET /presence after ${state}`);
        assert.equal(got.body.presence, state);
        assert.ok(!("status_msg" in got.body) || typeof got.body.status_msg === "string", "status_msg is a string or absent, never null");
      }
    }

    let since: string = bobInitial.body.next_batch;
    const sync = await t.request("GET", `/_matrix/client/v3/sync?timeout=0&since=${encodeURIComponent(since)}`, { token: bob.token });
    assert.equal(sync.status, 200);
    assertMatchesSpec(syncOk, sync.body, "bob incremental /sync");
    const events = sync.body.presence?.events ?? [];
    assert.ok(events.length > 0, "bob's incremental sync carries alice's presence");
    for (const ev of events) assertMatchesSpec(event, ev, "incremental /sync presence event");
    assert.equal(events.find((e: { sender: string }) => e.sender === alice.userId)?.content.presence, BUSY);
    since = sync.body.next_batch;

    const fresh = await t.request("GET", "/_matrix/client/v3/sync?timeout=0", { token: bob.token });
    assertMatchesSpec(syncOk, fresh.body, "bob second initial /sync");
    for (const ev of fresh.body.presence?.events ?? []) assertMatchesSpec(event, ev, "initial /sync presence event");
    assert.ok(since);
  });
});
