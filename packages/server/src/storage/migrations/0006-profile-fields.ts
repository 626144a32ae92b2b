import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("profile_fields")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    /** The value as JSON text. */
    .addColumn("value", "text", (c) => c.notNull())
    /** 1 when the server wrote the value (MSC4426's call field): only the server removes it. */
    .addColumn("set_by_server", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("profile_fields_pk", ["user_id", "key"])
    .execute();
  await db.schema.createIndex("profile_fields_server_key").on("profile_fields").columns(["key", "set_by_server"]).execute();
}
