import type { Kysely } from "kysely";
import type { Database } from "./schema";

/** What migration 0010 adds (account changes made outside the server), kept apart from schema.ts. */
// A type, not an interface: withTables() needs an index-compatible shape.
export type AdminTables = {
  users: Database["users"] & { deactivated: number };
  account_changes: { change_id: number; user_id: string; kind: string; devices: string; created_ts: number };
};

export type AdminDb = Kysely<Omit<Database, "users"> & AdminTables>;

export const withAdminTables = (db: Kysely<Database>): AdminDb => db.withTables<AdminTables>() as unknown as AdminDb;
