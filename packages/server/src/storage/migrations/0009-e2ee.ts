import type { Kysely } from "kysely";

/** End-to-end encryption: device and cross-signing keys, device-list changes, to-device messages. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("e2e_device_keys")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("key_json", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("e2e_device_keys_pk", ["user_id", "device_id"])
    .execute();
  await db.schema
    .createTable("e2e_one_time_keys")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("algorithm", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("key_json", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("e2e_one_time_keys_pk", ["user_id", "device_id", "algorithm", "key_id"])
    .execute();
  await db.schema
    .createTable("e2e_fallback_keys")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("algorithm", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("key_json", "text", (c) => c.notNull())
    .addColumn("used", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("e2e_fallback_keys_pk", ["user_id", "device_id", "algorithm"])
    .execute();
  await db.schema
    .createTable("e2e_cross_signing_keys")
    .addColumn("user_id", "text", (c) => c.notNull())
    /** master, self_signing or user_signing */
    .addColumn("key_type", "text", (c) => c.notNull())
    .addColumn("key_json", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("e2e_cross_signing_keys_pk", ["user_id", "key_type"])
    .execute();
  await db.schema
    .createTable("e2e_signatures")
    .addColumn("target_user_id", "text", (c) => c.notNull())
    /** A device id, or a cross-signing public key. */
    .addColumn("target_key_id", "text", (c) => c.notNull())
    .addColumn("signer_user_id", "text", (c) => c.notNull())
    .addColumn("signer_key_id", "text", (c) => c.notNull())
    .addColumn("signature", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("e2e_signatures_pk", ["target_user_id", "target_key_id", "signer_user_id", "signer_key_id"])
    .execute();
  // One row per observer and changed user: what the observer's /sync reports in device_lists.
  await db.schema
    .createTable("device_list_changes")
    .addColumn("stream_id", "bigint", (c) => c.notNull())
    .addColumn("observer", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    /** 1: changed, 0: left (no longer shares a room). */
    .addColumn("changed", "integer", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("device_list_changes_observer").on("device_list_changes").columns(["observer", "stream_id"]).execute();
  await db.schema
    .createTable("to_device_messages")
    .addColumn("stream_id", "bigint", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("sender", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("content", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("to_device_messages_pk", ["user_id", "device_id", "stream_id"])
    .execute();
  await db.schema
    .createTable("to_device_txns")
    .addColumn("sender", "text", (c) => c.notNull())
    .addColumn("sender_device", "text", (c) => c.notNull())
    .addColumn("txn_id", "text", (c) => c.notNull())
    .addColumn("ts", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("to_device_txns_pk", ["sender", "sender_device", "txn_id"])
    .execute();
}
