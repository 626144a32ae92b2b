import type { Kysely } from "kysely";

/** When an explicit presence choice ends (`io.axon.expires_at`), in ms; null when it has no end. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("presence").addColumn("expires_ts", "bigint").execute();
}
