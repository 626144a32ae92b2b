import type { Kysely } from "kysely";
import type { Database } from "./schema";

/** The end-to-end-encryption tables (migration 0009), kept apart from schema.ts. */
// A type, not an interface: withTables() needs an index-compatible shape.
export type E2eeTables = {
  e2e_device_keys: { user_id: string; device_id: string; key_json: string };
  e2e_one_time_keys: { user_id: string; device_id: string; algorithm: string; key_id: string; key_json: string };
  e2e_fallback_keys: { user_id: string; device_id: string; algorithm: string; key_id: string; key_json: string; used: number };
  e2e_cross_signing_keys: { user_id: string; key_type: string; key_json: string };
  e2e_signatures: { target_user_id: string; target_key_id: string; signer_user_id: string; signer_key_id: string; signature: string };
  device_list_changes: { stream_id: number; observer: string; subject: string; changed: number };
  to_device_messages: { stream_id: number; user_id: string; device_id: string; sender: string; type: string; content: string };
  to_device_txns: { sender: string; sender_device: string; txn_id: string; ts: number };
};

export type E2eeDb = Kysely<Database & E2eeTables>;

export const withE2eeTables = (db: Kysely<Database>): E2eeDb => db.withTables<E2eeTables>();
