import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeviceId, UserId } from "@axon/protocol";
import { freshDatabase, testDatabases } from "../../test/databases";
import { SqlAccountStore } from "./sql-account-store";
import { SqlAdminStore } from "./sql-admin-store";

const alice = "@alice:test" as UserId;
const bob = "@bob:test" as UserId;
const phone = "PHONE" as DeviceId;
const laptop = "LAPTOP" as DeviceId;

for (const { name, skip } of await testDatabases()) {
  describe(`SqlAdminStore on ${name}`, { skip }, () => {
    const withStores = async (fn: (admin: SqlAdminStore, accounts: SqlAccountStore) => Promise<void>) => {
      const tdb = await freshDatabase(name);
      const open = await tdb.open();
      try {
        const accounts = new SqlAccountStore(open.db);
        await accounts.createUser({ userId: alice, passwordHash: "ha", isAdmin: true, now: 1000 });
        await accounts.createUser({ userId: bob, passwordHash: "hb", isAdmin: false, now: 2000 });
        for (const d of [phone, laptop]) {
          await accounts.upsertDevice({ userId: bob, deviceId: d, displayName: null, now: 3000 });
          await accounts.addToken(`tok-${d}`, { userId: bob, deviceId: d }, 3000);
        }
        await fn(new SqlAdminStore(open.db), accounts);
      } finally {
        await open.close();
        await tdb.cleanup();
      }
    };

    it("lists users with their flags and device counts", () =>
      withStores(async (admin) => {
        assert.deepEqual(await admin.listUsers(), [
          { userId: alice, isAdmin: true, deactivated: false, createdTs: 1000, devices: 0 },
          { userId: bob, isAdmin: false, deactivated: false, createdTs: 2000, devices: 2 },
        ]);
      }));

    it("deactivating removes devices, tokens and the password, and logs the change", () =>
      withStores(async (admin, accounts) => {
        assert.deepEqual((await admin.deactivate(bob, 5000))?.sort(), [laptop, phone]);
        assert.equal(await accounts.getTokenOwner("tok-PHONE"), null);
        assert.deepEqual(await accounts.listDevices(bob), []);
        assert.equal((await accounts.getUser(bob))?.passwordHash, null);
        assert.equal(await admin.isDeactivated(bob), true);
        assert.equal(await admin.deactivate("@nobody:test" as UserId, 5000), null);
        const changes = await admin.changesSince(0);
        assert.equal(changes.length, 1);
        assert.equal(changes[0]!.userId, bob);
        assert.equal(changes[0]!.kind, "deactivated");
        assert.deepEqual(changes[0]!.devices.sort(), [laptop, phone]);
        assert.deepEqual(await admin.changesSince(changes[0]!.id), []);
        // A deactivated account gets no new password.
        assert.equal(await admin.resetPassword(bob, "new", false, 6000), null);
      }));

    it("a password reset logs out every device unless they are kept", () =>
      withStores(async (admin, accounts) => {
        assert.deepEqual(await admin.resetPassword(bob, "h2", true, 5000), []);
        assert.equal((await accounts.getUser(bob))?.passwordHash, "h2");
        assert.notEqual(await accounts.getTokenOwner("tok-PHONE"), null);
        assert.deepEqual(await admin.changesSince(0), []);
        assert.equal((await admin.resetPassword(bob, "h3", false, 6000))?.length, 2);
        assert.equal(await accounts.getTokenOwner("tok-PHONE"), null);
        const [change] = await admin.changesSince(0);
        assert.equal(change?.kind, "logged_out");
        assert.equal(await admin.resetPassword("@nobody:test" as UserId, "h", false, 7000), null);
      }));
  });
}
