import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  /** 1 once another event relates to this one: only such events are looked up for bundled aggregations. */
  await db.schema
    .alterTable("events")
    .addColumn("has_relations", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable("event_relations")
    .addColumn("event_id", "text", (c) => c.primaryKey())
    .addColumn("room_id", "text", (c) => c.notNull())
    .addColumn("relates_to", "text", (c) => c.notNull())
    .addColumn("rel_type", "text", (c) => c.notNull())
    .addColumn("sender", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("stream_ordering", "bigint", (c) => c.notNull())
    .addColumn("origin_server_ts", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("event_relations_parent").on("event_relations").columns(["relates_to", "rel_type", "stream_ordering"]).execute();
  await db.schema.createIndex("event_relations_room").on("event_relations").columns(["room_id", "rel_type", "stream_ordering"]).execute();
}
