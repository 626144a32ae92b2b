import { sql, type Kysely } from "kysely";

/**
 * Which process is the cluster's owner (cluster/owner-election.ts): one row (id 1), written by the
 * process that holds the owner advisory lock, with an epoch that grows each time ownership changes
 * hands. Only PostgreSQL uses it; on SQLite (one process) the table exists unused.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("cluster_owner")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("process_id", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("epoch", "bigint", (c) => c.notNull())
    .addColumn("since", "bigint", (c) => c.notNull())
    .addCheckConstraint("cluster_owner_one_row", sql`id = 1`)
    .execute();
}
