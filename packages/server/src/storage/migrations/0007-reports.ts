import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("reports")
    .addColumn("report_id", "text", (c) => c.primaryKey())
    .addColumn("reporter", "text", (c) => c.notNull())
    .addColumn("room_id", "text", (c) => c.notNull())
    /** null: the room itself is reported. */
    .addColumn("event_id", "text")
    .addColumn("reason", "text")
    .addColumn("score", "integer")
    .addColumn("received_ts", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("reports_received").on("reports").column("received_ts").execute();
}
