import type { Kysely } from "kysely";

/** Server-side key backup (/room_keys): versions and the encrypted session keys in each. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("key_backup_versions")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addColumn("algorithm", "text", (c) => c.notNull())
    .addColumn("auth_data", "text", (c) => c.notNull())
    .addColumn("etag", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("deleted", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("key_backup_versions_pk", ["user_id", "version"])
    .execute();
  await db.schema
    .createTable("key_backup_sessions")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addColumn("room_id", "text", (c) => c.notNull())
    .addColumn("session_id", "text", (c) => c.notNull())
    .addColumn("first_message_index", "bigint", (c) => c.notNull())
    .addColumn("forwarded_count", "bigint", (c) => c.notNull())
    .addColumn("is_verified", "integer", (c) => c.notNull())
    .addColumn("session_data", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("key_backup_sessions_pk", ["user_id", "version", "room_id", "session_id"])
    .execute();
}
