import type { Kysely } from "kysely";

/** Events that notified a user (push rules said notify), for unread counts and GET /notifications. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("event_notifications")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("room_id", "text", (c) => c.notNull())
    .addColumn("stream_ordering", "bigint", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn("highlight", "integer", (c) => c.notNull())
    .addColumn("actions", "text", (c) => c.notNull())
    .addColumn("ts", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("event_notifications_pk", ["user_id", "stream_ordering"])
    .execute();
  await db.schema.createIndex("event_notifications_room").on("event_notifications").columns(["user_id", "room_id", "stream_ordering"]).execute();
}
