import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UserId } from "@axon/protocol";
import { freshDatabase, testDatabases } from "../../test/databases";
import type { StoredPresence } from "../presence/presence-store";
import { SqlPresenceStore } from "./sql-presence-store";

const row = (userId: string, over: Partial<StoredPresence> = {}): StoredPresence => ({
  userId: userId as UserId,
  state: "online",
  statusMsg: null,
  lastActiveAt: 1000,
  busyFromCall: false,
  expiresAt: null,
  updatedAt: 1000,
  ...over,
});

for (const { name, skip } of await testDatabases()) {
  describe(`SqlPresenceStore on ${name}`, { skip }, () => {
    it("saves, overwrites and loads every field", async () => {
      const tdb = await freshDatabase(name);
      const open = await tdb.open();
      try {
        const store = new SqlPresenceStore(open.db);
        assert.deepEqual(await store.loadAll(), []);
        await store.saveMany([row("@a:t"), row("@b:t", { state: "unavailable" })]);
        const busy = row("@a:t", {
          state: "busy",
          statusMsg: "on a call",
          lastActiveAt: 2_000_000_000_000,
          busyFromCall: true,
          expiresAt: 2_000_000_360_000,
          updatedAt: 2000,
        });
        await store.saveMany([busy]);
        const all = (await store.loadAll()).sort((x, y) => x.userId.localeCompare(y.userId));
        assert.deepEqual(all, [busy, row("@b:t", { state: "unavailable" })]);
      } finally {
        await open.close();
        await tdb.cleanup();
      }
    });

    it("saves more rows than one statement holds", async () => {
      const tdb = await freshDatabase(name);
      const open = await tdb.open();
      try {
        const store = new SqlPresenceStore(open.db);
        await store.saveMany(Array.from({ length: 180 }, (_, i) => row(`@u${i}:t`)));
        assert.equal((await store.loadAll()).length, 180);
      } finally {
        await open.close();
        await tdb.cleanup();
      }
    });
  });
}
