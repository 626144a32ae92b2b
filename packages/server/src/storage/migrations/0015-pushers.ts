import type { Kysely } from "kysely";

/** HTTP pushers (POST /pushers/set): where to send each user's notifications, and which device set them. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("pushers")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("app_id", "text", (c) => c.notNull())
    .addColumn("pushkey", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("app_display_name", "text", (c) => c.notNull())
    .addColumn("device_display_name", "text", (c) => c.notNull())
    .addColumn("profile_tag", "text")
    .addColumn("lang", "text", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addColumn("created_ts", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("pushers_pk", ["app_id", "pushkey", "user_id"])
    .execute();
  await db.schema.createIndex("pushers_device").on("pushers").columns(["user_id", "device_id"]).execute();
}
