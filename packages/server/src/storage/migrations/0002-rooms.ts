import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("rooms")
    .addColumn("room_id", "text", (c) => c.primaryKey())
    .addColumn("room_version", "text", (c) => c.notNull())
    .addColumn("creator", "text", (c) => c.notNull())
    .addColumn("is_public", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_ts", "bigint", (c) => c.notNull())
    .execute();
  // Fields federation will need later are kept as they are on the wire.
  await db.schema
    .createTable("events")
    .addColumn("stream_ordering", "bigint", (c) => c.primaryKey())
    .addColumn("event_id", "text", (c) => c.notNull().unique())
    .addColumn("room_id", "text", (c) => c.notNull())
    .addColumn("sender", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("state_key", "text")
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("origin_server_ts", "bigint", (c) => c.notNull())
    .addColumn("depth", "bigint", (c) => c.notNull())
    .addColumn("prev_events", "text", (c) => c.notNull())
    .addColumn("auth_events", "text", (c) => c.notNull())
    .addColumn("unsigned", "text")
    .addColumn("txn_device_id", "text")
    .addColumn("txn_id", "text")
    .execute();
  await db.schema.createIndex("events_room_stream").on("events").columns(["room_id", "stream_ordering"]).execute();
  await db.schema.createIndex("events_txn").on("events").columns(["sender", "txn_device_id", "txn_id"]).execute();
  await db.schema
    .createTable("room_state")
    .addColumn("room_id", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("state_key", "text", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("room_state_pk", ["room_id", "type", "state_key"])
    .execute();
  await db.schema
    .createTable("room_memberships")
    .addColumn("room_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("membership", "text", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn("stream_ordering", "bigint", (c) => c.notNull())
    .addColumn("forgotten", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("room_memberships_pk", ["room_id", "user_id"])
    .execute();
  await db.schema.createIndex("room_memberships_user").on("room_memberships").columns(["user_id", "stream_ordering"]).execute();
  await db.schema
    .createTable("room_aliases")
    .addColumn("alias", "text", (c) => c.primaryKey())
    .addColumn("room_id", "text", (c) => c.notNull())
    .addColumn("creator", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("room_aliases_room").on("room_aliases").column("room_id").execute();
  await db.schema
    .createTable("sync_filters")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("filter_id", "text", (c) => c.notNull())
    .addColumn("filter_json", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("sync_filters_pk", ["user_id", "filter_id"])
    .execute();
  await db.schema
    .createTable("account_data")
    .addColumn("user_id", "text", (c) => c.notNull())
    // '' for global account data: a primary key column cannot be NULL.
    .addColumn("room_id", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("stream_id", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("account_data_pk", ["user_id", "room_id", "type"])
    .execute();
  await db.schema.createIndex("account_data_stream").on("account_data").columns(["user_id", "stream_id"]).execute();
  await db.schema
    .createTable("receipts")
    .addColumn("room_id", "text", (c) => c.notNull())
    .addColumn("receipt_type", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    // '' for an unthreaded receipt.
    .addColumn("thread_id", "text", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn("ts", "bigint", (c) => c.notNull())
    .addColumn("stream_id", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("receipts_pk", ["room_id", "receipt_type", "user_id", "thread_id"])
    .execute();
  await db.schema.createIndex("receipts_stream").on("receipts").columns(["room_id", "stream_id"]).execute();
}
