import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("presence")
    .addColumn("user_id", "text", (c) => c.primaryKey())
    /** The effective state when written: what a restart restores. */
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("status_msg", "text")
    .addColumn("last_active_ts", "bigint")
    /** The busy was made by a call: a call end seen after a restart still clears it. */
    .addColumn("busy_from_call", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("updated_ts", "bigint", (c) => c.notNull())
    .execute();
}
