import type { Kysely } from "kysely";

/**
 * The newest position handed out, for streams whose rows do not all stay (to-device messages are
 * deleted once delivered): without it, a restart after everything was delivered would start the
 * stream again below positions clients already hold in their sync tokens.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("stream_positions")
    .addColumn("stream", "text", (c) => c.primaryKey())
    .addColumn("position", "bigint", (c) => c.notNull())
    .execute();
}
