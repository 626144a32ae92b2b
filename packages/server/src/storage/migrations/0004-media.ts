import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("media")
    .addColumn("media_id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("created_ts", "bigint", (c) => c.notNull())
    /** Set for an id from POST /create until its content arrives; null once uploaded. */
    .addColumn("expires_ts", "bigint")
    .addColumn("content_type", "text")
    .addColumn("upload_name", "text")
    .addColumn("size", "bigint")
    /** The file's name on disk (its SHA-256, hex); null while the content has not arrived. */
    .addColumn("sha256", "text")
    .addColumn("uploaded_ts", "bigint")
    .execute();
  await db.schema.createIndex("media_user_created").on("media").columns(["user_id", "created_ts"]).execute();
  await db.schema
    .createTable("media_thumbnails")
    .addColumn("media_id", "text", (c) => c.notNull())
    .addColumn("width", "integer", (c) => c.notNull())
    .addColumn("height", "integer", (c) => c.notNull())
    .addColumn("method", "text", (c) => c.notNull())
    .addColumn("animated", "integer", (c) => c.notNull())
    .addColumn("content_type", "text", (c) => c.notNull())
    .addColumn("size", "bigint", (c) => c.notNull())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("media_thumbnails_pk", ["media_id", "width", "height", "method", "animated"])
    .execute();
}
