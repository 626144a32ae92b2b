// Keys, device-list changes and to-device messages outlive a restart; old sync tokens keep working.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freshDatabase } from "./databases";
import { testDevice } from "./e2ee-support";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser } from "./support";

const V3 = "/_matrix/client/v3";

describe("encryption state across a restart", () => {
  it("one-time keys, an undelivered and an unacknowledged to-device message, and a device-list change survive", async () => {
    const db = await freshDatabase("sqlite");
    try {
      const first = await createTestServer({}, { db });
      const a = await registerUser(first, "alice");
      const b = await registerUser(first, "bob");
      const room = await createRoom(first, a, { preset: "public_chat" });
      await joinRoom(first, room, b);
      const dev = testDevice(a);
      await expectOk(first, "POST", `${V3}/keys/upload`, a, { device_keys: dev.deviceKeys(), one_time_keys: dev.oneTimeKeys(4), fallback_keys: dev.fallbackKey() });
      const b0 = await expectOk(first, "GET", `${V3}/sync?timeout=0`, b);
      await expectOk(first, "PUT", `${V3}/sendToDevice/m.test/one`, a, { messages: { [b.userId]: { [b.deviceId]: { n: 1 } } } });
      const b1 = await expectOk(first, "GET", `${V3}/sync?timeout=0&since=${b0.next_batch}`, b);
      assert.equal(b1.to_device.events.length, 1, "delivered once, not yet acknowledged");
      await expectOk(first, "PUT", `${V3}/sendToDevice/m.test/two`, a, { messages: { [b.userId]: { [b.deviceId]: { n: 2 } } } });
      await expectOk(first, "POST", `${V3}/keys/upload`, a, { device_keys: { ...testDevice(a).deviceKeys() } });
      await first.close();

      const second = await createTestServer({}, { db });
      try {
        const s = await expectOk(second, "GET", `${V3}/sync?timeout=0`, a);
        assert.deepEqual(s.device_one_time_keys_count, { signed_curve25519: 4 });
        assert.deepEqual(s.device_unused_fallback_key_types, ["signed_curve25519"]);
        // The lost answer again (old token): both messages, and the key change.
        const again = await expectOk(second, "GET", `${V3}/sync?timeout=0&since=${b0.next_batch}`, b);
        assert.deepEqual(again.to_device.events.map((e: { content: unknown }) => e.content), [{ n: 1 }, { n: 2 }]);
        assert.deepEqual(again.device_lists.changed, [a.userId]);
        // Moving on from the first answer: only the second message.
        const moved = await expectOk(second, "GET", `${V3}/sync?timeout=0&since=${b1.next_batch}`, b);
        assert.deepEqual(moved.to_device.events.map((e: { content: unknown }) => e.content), [{ n: 2 }]);
        const done = await expectOk(second, "GET", `${V3}/sync?timeout=0&since=${moved.next_batch}`, b);
        assert.equal(done.to_device, undefined);
        // A new message after the restart gets a new position, above the old ones.
        await expectOk(second, "PUT", `${V3}/sendToDevice/m.test/three`, a, { messages: { [b.userId]: { [b.deviceId]: { n: 3 } } } });
        const third = await expectOk(second, "GET", `${V3}/sync?timeout=0&since=${moved.next_batch}`, b);
        assert.deepEqual(third.to_device.events.map((e: { content: unknown }) => e.content), [{ n: 3 }]);
      } finally {
        await second.close();
      }
    } finally {
      await db.cleanup();
    }
  });

  it("a sync token stays valid after a restart once every to-device message was delivered (their rows are gone)", async () => {
    const db = await freshDatabase("sqlite");
    try {
      const first = await createTestServer({}, { db });
      const a = await registerUser(first, "alice");
      const b = await registerUser(first, "bob");
      const b0 = await expectOk(first, "GET", `${V3}/sync?timeout=0`, b);
      await expectOk(first, "PUT", `${V3}/sendToDevice/m.test/one`, a, { messages: { [b.userId]: { [b.deviceId]: { n: 1 } } } });
      const b1 = await expectOk(first, "GET", `${V3}/sync?timeout=0&since=${b0.next_batch}`, b);
      assert.equal(b1.to_device.events.length, 1);
      // The next sync acknowledges it: the message's row is deleted.
      const b2 = await expectOk(first, "GET", `${V3}/sync?timeout=0&since=${b1.next_batch}`, b);
      await first.close();

      const second = await createTestServer({}, { db });
      try {
        const res = await second.request("GET", `${V3}/sync?timeout=0&since=${b2.next_batch}`, { token: b.token });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        await expectOk(second, "PUT", `${V3}/sendToDevice/m.test/two`, a, { messages: { [b.userId]: { [b.deviceId]: { n: 2 } } } });
        const next = await expectOk(second, "GET", `${V3}/sync?timeout=0&since=${b2.next_batch}`, b);
        assert.deepEqual(next.to_device.events.map((e: { content: unknown }) => e.content), [{ n: 2 }], "a new message is above the old token");
      } finally {
        await second.close();
      }
    } finally {
      await db.cleanup();
    }
  });
});
