import assert from "node:assert/strict";
import { describe, it } from "node:test";
import SqliteDatabase from "better-sqlite3";
import { Kysely, sql } from "kysely";
import { CachingSqliteDialect } from "./sqlite-driver";

interface Db {
  t: { k: string; v: number };
}

async function open() {
  const sqlite = new SqliteDatabase(":memory:");
  const db = new Kysely<Db>({ dialect: new CachingSqliteDialect(sqlite) });
  await sql`create table t (k text primary key, v integer not null)`.execute(db);
  return db;
}

describe("CachingSqliteDialect", () => {
  it("runs reads, writes and results as Kysely's driver does, reusing statements", async () => {
    const db = await open();
    for (let i = 0; i < 3; i++) await db.insertInto("t").values({ k: `k${i}`, v: i }).execute();
    const r = await db.selectFrom("t").select(({ fn }) => fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    assert.equal(r.n, 3);
    const upd = await db.updateTable("t").set({ v: 7 }).where("k", "=", "k2").executeTakeFirstOrThrow();
    assert.equal(upd.numUpdatedRows, 1n);
    assert.deepEqual(await db.selectFrom("t").select("v").where("k", "=", "k2").execute(), [{ v: 7 }]);
    await assert.rejects(db.insertInto("t").values({ k: "k1", v: 9 }).execute(), /UNIQUE/);
    await db.destroy();
  });

  it("a failed transaction rolls back and frees the connection for the next one", async () => {
    const db = await open();
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("t").values({ k: "a", v: 1 }).execute();
        await trx.insertInto("t").values({ k: "a", v: 2 }).execute();
      }),
      /UNIQUE/,
    );
    assert.deepEqual(await db.selectFrom("t").selectAll().execute(), []);
    // Concurrent transactions take turns on the one connection.
    await Promise.all(
      [1, 2, 3].map((i) =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto("t").values({ k: `x${i}`, v: i }).execute();
          await trx.updateTable("t").set({ v: i * 10 }).where("k", "=", `x${i}`).execute();
        }),
      ),
    );
    assert.deepEqual(await db.selectFrom("t").select(["k", "v"]).orderBy("k").execute(), [
      { k: "x1", v: 10 },
      { k: "x2", v: 20 },
      { k: "x3", v: 30 },
    ]);
    await db.destroy();
  });
});
