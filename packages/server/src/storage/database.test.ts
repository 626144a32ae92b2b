import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freshDatabase, freshPostgresSchema, testDatabases } from "../../test/databases";

for (const { name, skip } of await testDatabases()) {
  describe(`openDatabase on ${name}`, { skip }, () => {
    it("migrates a second Axon schema in the same database after a first one", async () => {
      const fresh = () => (name === "postgres" ? freshPostgresSchema() : freshDatabase(name));
      const first = await fresh();
      const second = await fresh();
      const a = await first.open();
      try {
        const b = await second.open();
        try {
          const tables = (await b.db.introspection.getTables()).map((t) => t.name);
          assert.ok(tables.includes("presence"));
        } finally {
          await b.close();
        }
      } finally {
        await a.close();
        await first.cleanup();
        await second.cleanup();
      }
    });

    it("opening an already migrated database again is a no-op", async () => {
      const tdb = await freshDatabase(name);
      try {
        await (await tdb.open()).close();
        await (await tdb.open()).close();
      } finally {
        await tdb.cleanup();
      }
    });
  });
}
