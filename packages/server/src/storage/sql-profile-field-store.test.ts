import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UserId } from "@axon/protocol";
import { freshDatabase, testDatabases } from "../../test/databases";
import type { OpenDatabase } from "./database";
import { SqlProfileFieldStore } from "./sql-profile-field-store";

const A = "@a:t" as UserId;
const B = "@b:t" as UserId;
const CALL = "org.matrix.msc4426.call";

async function withStore(name: "sqlite" | "postgres", fn: (store: SqlProfileFieldStore, open: OpenDatabase) => Promise<void>): Promise<void> {
  const tdb = await freshDatabase(name);
  const open = await tdb.open();
  try {
    await fn(new SqlProfileFieldStore(open.db), open);
  } finally {
    await open.close();
    await tdb.cleanup();
  }
}

for (const { name, skip } of await testDatabases()) {
  describe(`SqlProfileFieldStore on ${name}`, { skip }, () => {
    it("puts, overwrites, lists (per user, by key), gets and deletes", () =>
      withStore(name, async (store) => {
        assert.deepEqual(await store.list(A), []);
        assert.equal(await store.get(A, "m.tz"), null);
        await store.put(A, "m.tz", '"Europe/Paris"');
        await store.put(A, "org.example.job", '{"title":"x"}');
        await store.put(B, "m.tz", "null");
        await store.put(A, "m.tz", '"Europe/London"');
        assert.deepEqual(await store.list(A), [
          { key: "m.tz", value: '"Europe/London"', setByServer: false },
          { key: "org.example.job", value: '{"title":"x"}', setByServer: false },
        ]);
        assert.deepEqual(await store.get(B, "m.tz"), { key: "m.tz", value: "null", setByServer: false });
        assert.equal(await store.delete(A, "m.tz"), true);
        assert.equal(await store.delete(A, "m.tz"), false, "nothing left to delete");
        assert.deepEqual((await store.list(A)).map((f) => f.key), ["org.example.job"]);
      }));

    it("a server value never overwrites the user's own, and only a server value is removed by the server", () =>
      withStore(name, async (store) => {
        assert.equal(await store.putUnlessUserOwned(A, CALL, '{"call_joined_ts":1}'), true);
        assert.equal(await store.putUnlessUserOwned(A, CALL, '{"call_joined_ts":2}'), true, "the server may update its own value");
        assert.deepEqual(await store.get(A, CALL), { key: CALL, value: '{"call_joined_ts":2}', setByServer: true });

        await store.put(B, CALL, '{"call_joined_ts":7}');
        assert.equal(await store.putUnlessUserOwned(B, CALL, '{"call_joined_ts":9}'), false);
        assert.equal(await store.deleteIfServerOwned(B, CALL), false);
        assert.deepEqual(await store.get(B, CALL), { key: CALL, value: '{"call_joined_ts":7}', setByServer: false });

        // The user takes over a value the server set: it is theirs from then on.
        await store.put(A, CALL, '{"call_joined_ts":3}');
        assert.equal(await store.deleteIfServerOwned(A, CALL), false);
        assert.equal((await store.get(A, CALL))?.setByServer, false);
        await store.delete(A, CALL);
        assert.equal(await store.putUnlessUserOwned(A, CALL, '{"call_joined_ts":4}'), true);
        assert.equal(await store.deleteIfServerOwned(A, CALL), true);
        assert.equal(await store.get(A, CALL), null);
      }));

    it("deleteAllServerOwned removes only the server's values of that key", () =>
      withStore(name, async (store) => {
        await store.putUnlessUserOwned(A, CALL, '{"call_joined_ts":1}');
        await store.putUnlessUserOwned(A, "org.example.other", "1");
        await store.put(B, CALL, '{"call_joined_ts":2}');
        assert.deepEqual(await store.deleteAllServerOwned(CALL), [A]);
        assert.deepEqual(await store.deleteAllServerOwned(CALL), []);
        assert.equal(await store.get(A, CALL), null);
        assert.notEqual(await store.get(A, "org.example.other"), null);
        assert.notEqual(await store.get(B, CALL), null);
      }));

    it("keys and values keep non-ASCII text and large values exactly", () =>
      withStore(name, async (store) => {
        const big = JSON.stringify("é☎😀".repeat(5000));
        await store.put(A, "org.example.big", big);
        assert.equal((await store.get(A, "org.example.big"))?.value, big);
      }));
  });
}
