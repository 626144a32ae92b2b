import type { DeviceId, UserId } from "@axon/protocol";
import type { Transaction } from "kysely";
import type { CrossSigningType, E2eeKeyStore, JsonObject, KeyCounts, KeyEntry, ListChange, SignatureRow } from "../e2ee/e2ee-store";
import { withE2eeTables, type E2eeDb, type E2eeTables } from "./e2ee-schema";
import type { Database } from "./schema";
import type { Kysely } from "kysely";

type Tx = Transaction<Database & E2eeTables>;

/** Writes a device-list change's rows inside the caller's transaction. */
export async function insertListChange(tx: Tx | E2eeDb, change: ListChange): Promise<void> {
  const CHUNK = 500;
  for (let i = 0; i < change.rows.length; i += CHUNK) {
    const values = change.rows.slice(i, i + CHUNK).map((r) => ({ stream_id: change.position, observer: r.observer, subject: r.subject, changed: r.changed ? 1 : 0 }));
    await tx.insertInto("device_list_changes").values(values).execute();
  }
}

export class SqlE2eeKeyStore implements E2eeKeyStore {
  private readonly db: E2eeDb;

  constructor(db: Kysely<Database>) {
    this.db = withE2eeTables(db);
  }

  async getDeviceKeys(userId: UserId, deviceId: DeviceId): Promise<JsonObject | null> {
    const r = await this.db.selectFrom("e2e_device_keys").select("key_json").where("user_id", "=", userId).where("device_id", "=", deviceId).executeTakeFirst();
    return r ? (JSON.parse(r.key_json) as JsonObject) : null;
  }

  async queryDeviceKeys(userId: UserId, deviceIds: DeviceId[] | null): Promise<Map<DeviceId, JsonObject>> {
    if (deviceIds?.length === 0) return new Map();
    let q = this.db.selectFrom("e2e_device_keys").select(["device_id", "key_json"]).where("user_id", "=", userId);
    if (deviceIds) q = q.where("device_id", "in", deviceIds);
    const rows = await q.execute();
    return new Map(rows.map((r) => [r.device_id as DeviceId, JSON.parse(r.key_json) as JsonObject]));
  }

  async existingOneTimeKeys(userId: UserId, deviceId: DeviceId, keys: KeyEntry[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    if (keys.length === 0) return out;
    const rows = await this.db
      .selectFrom("e2e_one_time_keys")
      .select(["algorithm", "key_id", "key_json"])
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .where("key_id", "in", [...new Set(keys.map((k) => k.keyId))])
      .execute();
    for (const r of rows) out.set(`${r.algorithm}:${r.key_id}`, JSON.parse(r.key_json));
    return out;
  }

  async upload(u: { userId: UserId; deviceId: DeviceId; deviceKeys: JsonObject | null; oneTimeKeys: KeyEntry[]; fallbackKeys: KeyEntry[]; change: ListChange | null }): Promise<void> {
    const { userId, deviceId } = u;
    await this.db.transaction().execute(async (tx) => {
      if (u.deviceKeys) {
        const json = JSON.stringify(u.deviceKeys);
        await tx
          .insertInto("e2e_device_keys")
          .values({ user_id: userId, device_id: deviceId, key_json: json })
          .onConflict((oc) => oc.columns(["user_id", "device_id"]).doUpdateSet({ key_json: json }))
          .execute();
      }
      if (u.oneTimeKeys.length > 0) {
        const values = u.oneTimeKeys.map((k) => ({ user_id: userId, device_id: deviceId, algorithm: k.algorithm, key_id: k.keyId, key_json: JSON.stringify(k.key) }));
        await tx.insertInto("e2e_one_time_keys").values(values).onConflict((oc) => oc.doNothing()).execute();
      }
      for (const k of u.fallbackKeys) {
        const json = JSON.stringify(k.key);
        await tx
          .insertInto("e2e_fallback_keys")
          .values({ user_id: userId, device_id: deviceId, algorithm: k.algorithm, key_id: k.keyId, key_json: json, used: 0 })
          .onConflict((oc) => oc.columns(["user_id", "device_id", "algorithm"]).doUpdateSet({ key_id: k.keyId, key_json: json, used: 0 }))
          .execute();
      }
      if (u.change) await insertListChange(tx, u.change);
    });
  }

  async counts(userId: UserId, deviceId: DeviceId): Promise<KeyCounts> {
    const otks = await this.db
      .selectFrom("e2e_one_time_keys")
      .select(["algorithm", (eb) => eb.fn.countAll().as("n")])
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .groupBy("algorithm")
      .execute();
    const fallback = await this.db
      .selectFrom("e2e_fallback_keys")
      .select("algorithm")
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .where("used", "=", 0)
      .execute();
    return {
      oneTimeKeys: Object.fromEntries(otks.map((r) => [r.algorithm, Number(r.n)])),
      unusedFallback: fallback.map((r) => r.algorithm).sort(),
    };
  }

  async claim(userId: UserId, deviceId: DeviceId, algorithm: string): Promise<KeyEntry | null> {
    // Pick one, then delete it by its key: only the claimer whose delete removed the row owns it,
    // on either database and across processes; a claimer that lost the race tries the next one.
    for (;;) {
      const row = await this.db
        .selectFrom("e2e_one_time_keys")
        .select(["key_id", "key_json"])
        .where("user_id", "=", userId)
        .where("device_id", "=", deviceId)
        .where("algorithm", "=", algorithm)
        .orderBy("key_id")
        .limit(1)
        .executeTakeFirst();
      if (!row) break;
      const res = await this.db
        .deleteFrom("e2e_one_time_keys")
        .where("user_id", "=", userId)
        .where("device_id", "=", deviceId)
        .where("algorithm", "=", algorithm)
        .where("key_id", "=", row.key_id)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 1) return { algorithm, keyId: row.key_id, key: JSON.parse(row.key_json) };
    }
    const fb = await this.db
      .selectFrom("e2e_fallback_keys")
      .select(["key_id", "key_json"])
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .where("algorithm", "=", algorithm)
      .executeTakeFirst();
    if (!fb) return null;
    await this.db.updateTable("e2e_fallback_keys").set({ used: 1 }).where("user_id", "=", userId).where("device_id", "=", deviceId).where("algorithm", "=", algorithm).execute();
    return { algorithm, keyId: fb.key_id, key: JSON.parse(fb.key_json) };
  }

  async crossSigningKeys(userId: UserId): Promise<Map<CrossSigningType, JsonObject>> {
    const rows = await this.db.selectFrom("e2e_cross_signing_keys").select(["key_type", "key_json"]).where("user_id", "=", userId).execute();
    return new Map(rows.map((r) => [r.key_type as CrossSigningType, JSON.parse(r.key_json) as JsonObject]));
  }

  async putCrossSigningKeys(userId: UserId, keys: Map<CrossSigningType, JsonObject>, change: ListChange): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const [type, key] of keys) {
        const json = JSON.stringify(key);
        await tx
          .insertInto("e2e_cross_signing_keys")
          .values({ user_id: userId, key_type: type, key_json: json })
          .onConflict((oc) => oc.columns(["user_id", "key_type"]).doUpdateSet({ key_json: json }))
          .execute();
      }
      await insertListChange(tx, change);
    });
  }

  async signaturesOf(targetUserId: UserId): Promise<SignatureRow[]> {
    const rows = await this.db.selectFrom("e2e_signatures").selectAll().where("target_user_id", "=", targetUserId).execute();
    return rows.map((r) => ({
      targetUserId: r.target_user_id as UserId,
      targetKeyId: r.target_key_id,
      signerUserId: r.signer_user_id as UserId,
      signerKeyId: r.signer_key_id,
      signature: r.signature,
    }));
  }

  async putSignatures(rows: SignatureRow[], change: ListChange): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const r of rows) {
        await tx
          .insertInto("e2e_signatures")
          .values({ target_user_id: r.targetUserId, target_key_id: r.targetKeyId, signer_user_id: r.signerUserId, signer_key_id: r.signerKeyId, signature: r.signature })
          .onConflict((oc) => oc.columns(["target_user_id", "target_key_id", "signer_user_id", "signer_key_id"]).doUpdateSet({ signature: r.signature }))
          .execute();
      }
      await insertListChange(tx, change);
    });
  }

  async deleteDevices(userId: UserId, deviceIds: DeviceId[], change: ListChange): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const table of ["e2e_device_keys", "e2e_one_time_keys", "e2e_fallback_keys", "to_device_messages"] as const) {
        await tx.deleteFrom(table).where("user_id", "=", userId).where("device_id", "in", deviceIds).execute();
      }
      await tx.deleteFrom("e2e_signatures").where("target_user_id", "=", userId).where("target_key_id", "in", deviceIds).execute();
      await insertListChange(tx, change);
    });
  }
}
