import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BUSY, specUnavailable, specValidators } from "./spec-schemas";

const skip = specUnavailable() ?? false;
if (skip) console.log(`# ${skip}`);

describe("spec schema validators", { skip }, () => {
  test("a valid /versions passes and broken ones fail", async () => {
    const check = await specValidators().responseValidator("versions.yaml", "/versions", "get", 200);
    assert.deepEqual(check({ versions: ["v1.11"], unstable_features: { [`${BUSY}_presence`]: true } }), []);
    assert.notDeepEqual(check({ unstable_features: {} }), [], "missing versions must fail");
    assert.notDeepEqual(check({ versions: "v1.11" }), [], "versions must be an array");
    assert.notDeepEqual(check({ versions: ["v1.11"], unstable_features: { x: "yes" } }), [], "feature flags are booleans");
  });

  test("m.presence accepts busy, rejects unknown states and missing sender", async () => {
    const check = await specValidators().eventValidator("m.presence");
    const ok = { type: "m.presence", sender: "@a:localhost", content: { presence: BUSY, last_active_ago: 5, currently_active: false } };
    assert.deepEqual(check(ok), []);
    assert.deepEqual(check({ ...ok, content: { presence: "online" } }), []);
    assert.notDeepEqual(check({ ...ok, content: { presence: "dancing" } }), []);
    assert.notDeepEqual(check({ type: "m.presence", content: { presence: "online" } }), []);
    assert.notDeepEqual(check({ ...ok, content: { presence: "online", currently_active: "yes" } }), []);
  });

  test("the presence endpoints allow busy in the PUT body and the GET response", async () => {
    const v = specValidators();
    const put = await v.requestValidator("presence.yaml", "/presence/{userId}/status", "put");
    assert.deepEqual(put({ presence: BUSY, status_msg: "on a call" }), []);
    assert.notDeepEqual(put({ presence: "away" }), []);
    const get = await v.responseValidator("presence.yaml", "/presence/{userId}/status", "get", 200);
    assert.deepEqual(get({ presence: BUSY, last_active_ago: 10 }), []);
    assert.notDeepEqual(get({ presence: "away" }), []);
    assert.notDeepEqual(get({ last_active_ago: 10 }), [], "presence is required");
  });

  test("custom mx-* formats are checked", async () => {
    const check = await specValidators().responseValidator("create_room.yaml", "/createRoom", "post", 200);
    assert.deepEqual(check({ room_id: "!abc:localhost" }), []);
    assert.notDeepEqual(check({ room_id: "not-a-room" }), []);
  });
});
