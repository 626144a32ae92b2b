import type { Kysely } from "kysely";

/**
 * Account changes made outside the server (`axon user deactivate`, `reset-password`): a
 * deactivated flag on users, and a log of changes that a running server reads to drop cached
 * tokens, set presence offline and leave rooms.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("users").addColumn("deactivated", "integer", (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createTable("account_changes")
    .addColumn("change_id", "bigint", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    /** "deactivated" or "logged_out". */
    .addColumn("kind", "text", (c) => c.notNull())
    /** JSON array of the device ids removed. */
    .addColumn("devices", "text", (c) => c.notNull())
    .addColumn("created_ts", "bigint", (c) => c.notNull())
    .execute();
}
