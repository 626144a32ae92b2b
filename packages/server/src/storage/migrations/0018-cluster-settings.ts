import type { Kysely } from "kysely";

/**
 * Values the processes of a cluster share, made once by whichever starts first (e.g. the secret that
 * marks a request as forwarded by a peer). Unused by a lone process.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("cluster_settings")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();
}
