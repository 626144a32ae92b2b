import { sql, SqliteAdapter, type Kysely } from "kysely";

/** The full-text index of searchable event text: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL. */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`create virtual table event_search using fts5(value, event_id unindexed, room_id unindexed, key unindexed, stream_ordering unindexed, tokenize = 'unicode61 remove_diacritics 2')`.execute(db);
    return;
  }
  await db.schema
    .createTable("event_search")
    .addColumn("event_id", "text", (c) => c.primaryKey())
    .addColumn("room_id", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("stream_ordering", "bigint", (c) => c.notNull())
    .addColumn("vector", sql`tsvector`, (c) => c.notNull())
    .execute();
  await sql`create index event_search_vector on event_search using gin (vector)`.execute(db);
  await db.schema.createIndex("event_search_room").on("event_search").columns(["room_id", "stream_ordering"]).execute();
}
