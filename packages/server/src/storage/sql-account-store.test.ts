import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeviceId, UserId } from "@axon/protocol";
import { freshDatabase, testDatabases } from "../../test/databases";
import { SqlAccountStore } from "./sql-account-store";

const alice = "@alice:test" as UserId;
const phone = "PHONE" as DeviceId;

for (const { name, skip } of await testDatabases()) {
  describe(`SqlAccountStore on ${name}`, { skip }, () => {
    const withStore = async (fn: (store: SqlAccountStore) => Promise<void>) => {
      const tdb = await freshDatabase(name);
      const open = await tdb.open();
      try {
        await fn(new SqlAccountStore(open.db));
      } finally {
        await open.close();
        await tdb.cleanup();
      }
    };

    it("creates a user once and refuses the same id again", () =>
      withStore(async (store) => {
        assert.equal(await store.createUser({ userId: alice, passwordHash: "h", isAdmin: true, now: 5 }), true);
        assert.equal(await store.createUser({ userId: alice, passwordHash: "x", isAdmin: false, now: 6 }), false);
        const u = await store.getUser(alice);
        assert.equal(u?.passwordHash, "h");
        assert.equal(u?.isAdmin, true);
      }));

    it("deleting a device deletes its tokens and only its tokens", () =>
      withStore(async (store) => {
        await store.createUser({ userId: alice, passwordHash: null, isAdmin: false, now: 1 });
        await store.upsertDevice({ userId: alice, deviceId: phone, displayName: "Phone", now: 1 });
        await store.upsertDevice({ userId: alice, deviceId: "DESK" as DeviceId, displayName: null, now: 1 });
        await store.addToken("t1", { userId: alice, deviceId: phone }, 1);
        await store.addToken("t2", { userId: alice, deviceId: "DESK" as DeviceId }, 1);
        assert.deepEqual(await store.deleteDevice(alice, phone), ["t1"]);
        assert.equal(await store.getTokenOwner("t1"), null);
        assert.deepEqual(await store.getTokenOwner("t2"), { userId: alice, deviceId: "DESK" });
        assert.deepEqual((await store.listDevices(alice)).map((d) => d.deviceId), ["DESK"]);
      }));

    it("a second login on the same device keeps its display name unless a new one is given", () =>
      withStore(async (store) => {
        await store.upsertDevice({ userId: alice, deviceId: phone, displayName: "Phone", now: 1 });
        await store.upsertDevice({ userId: alice, deviceId: phone, displayName: null, now: 2 });
        assert.equal((await store.getDevice(alice, phone))?.displayName, "Phone");
        await store.upsertDevice({ userId: alice, deviceId: phone, displayName: "New", now: 3 });
        assert.equal((await store.getDevice(alice, phone))?.displayName, "New");
      }));
  });
}
