import type { UserId } from "@axon/protocol";
import type { Kysely } from "kysely";
import type { JsonObject } from "../e2ee/e2ee-store";
import type { BackupSession, BackupVersion, KeyBackupStore } from "../e2ee/key-backup-store";
import type { Database } from "./schema";

type BackupTables = {
  key_backup_versions: { user_id: string; version: number; algorithm: string; auth_data: string; etag: number; deleted: number };
  key_backup_sessions: {
    user_id: string;
    version: number;
    room_id: string;
    session_id: string;
    first_message_index: number;
    forwarded_count: number;
    is_verified: number;
    session_data: string;
  };
};

export class SqlKeyBackupStore implements KeyBackupStore {
  private readonly db: Kysely<Database & BackupTables>;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<BackupTables>();
  }

  async create(userId: UserId, algorithm: string, authData: JsonObject): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const r = await tx.selectFrom("key_backup_versions").select((eb) => eb.fn.max("version").as("m")).where("user_id", "=", userId).executeTakeFirst();
      const version = Number(r?.m ?? 0) + 1;
      await tx.insertInto("key_backup_versions").values({ user_id: userId, version, algorithm, auth_data: JSON.stringify(authData), etag: 0, deleted: 0 }).execute();
      return version;
    });
  }

  async get(userId: UserId, version: number | null): Promise<BackupVersion | null> {
    let q = this.db.selectFrom("key_backup_versions").selectAll().where("user_id", "=", userId).where("deleted", "=", 0);
    q = version === null ? q.orderBy("version", "desc").limit(1) : q.where("version", "=", version);
    const r = await q.executeTakeFirst();
    return r ? { version: Number(r.version), algorithm: r.algorithm, authData: JSON.parse(r.auth_data) as JsonObject, etag: Number(r.etag) } : null;
  }

  async updateAuthData(userId: UserId, version: number, authData: JsonObject): Promise<void> {
    await this.db.updateTable("key_backup_versions").set({ auth_data: JSON.stringify(authData) }).where("user_id", "=", userId).where("version", "=", version).execute();
  }

  async delete(userId: UserId, version: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const r = await tx.updateTable("key_backup_versions").set({ deleted: 1 }).where("user_id", "=", userId).where("version", "=", version).where("deleted", "=", 0).executeTakeFirst();
      await tx.deleteFrom("key_backup_sessions").where("user_id", "=", userId).where("version", "=", version).execute();
      return Number(r.numUpdatedRows) > 0;
    });
  }

  async sessions(userId: UserId, version: number, roomId: string | null, sessionId: string | null): Promise<BackupSession[]> {
    let q = this.db.selectFrom("key_backup_sessions").selectAll().where("user_id", "=", userId).where("version", "=", version);
    if (roomId !== null) q = q.where("room_id", "=", roomId);
    if (sessionId !== null) q = q.where("session_id", "=", sessionId);
    const rows = await q.execute();
    return rows.map((r) => ({
      roomId: r.room_id,
      sessionId: r.session_id,
      firstMessageIndex: Number(r.first_message_index),
      forwardedCount: Number(r.forwarded_count),
      isVerified: Number(r.is_verified) === 1,
      sessionData: JSON.parse(r.session_data) as JsonObject,
    }));
  }

  async put(userId: UserId, version: number, sessions: BackupSession[]): Promise<void> {
    if (sessions.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const s of sessions) {
        const values = {
          first_message_index: s.firstMessageIndex,
          forwarded_count: s.forwardedCount,
          is_verified: s.isVerified ? 1 : 0,
          session_data: JSON.stringify(s.sessionData),
        };
        await tx
          .insertInto("key_backup_sessions")
          .values({ user_id: userId, version, room_id: s.roomId, session_id: s.sessionId, ...values })
          .onConflict((oc) => oc.columns(["user_id", "version", "room_id", "session_id"]).doUpdateSet(values))
          .execute();
      }
      await tx.updateTable("key_backup_versions").set((eb) => ({ etag: eb("etag", "+", 1) })).where("user_id", "=", userId).where("version", "=", version).execute();
    });
  }

  async remove(userId: UserId, version: number, roomId: string | null, sessionId: string | null): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      let q = tx.deleteFrom("key_backup_sessions").where("user_id", "=", userId).where("version", "=", version);
      if (roomId !== null) q = q.where("room_id", "=", roomId);
      if (sessionId !== null) q = q.where("session_id", "=", sessionId);
      await q.execute();
      await tx.updateTable("key_backup_versions").set((eb) => ({ etag: eb("etag", "+", 1) })).where("user_id", "=", userId).where("version", "=", version).execute();
    });
  }

  async count(userId: UserId, version: number): Promise<number> {
    const r = await this.db.selectFrom("key_backup_sessions").select((eb) => eb.fn.countAll().as("n")).where("user_id", "=", userId).where("version", "=", version).executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}
