import { invalidParam, MatrixError, notFound, type UserId } from "@axon/protocol";
import { Serial } from "../sync/serial";
import type { JsonObject } from "./e2ee-store";
import type { BackupSession, BackupVersion, KeyBackupStore } from "./key-backup-store";

export interface SessionData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: JsonObject;
}

/** Which of two backed-up copies of a session to keep: verified first, then the lower first index, then fewer forwards. */
export function better(next: BackupSession, old: BackupSession | undefined): boolean {
  if (!old) return true;
  if (next.isVerified !== old.isVerified) return next.isVerified;
  if (next.firstMessageIndex !== old.firstMessageIndex) return next.firstMessageIndex < old.firstMessageIndex;
  return next.forwardedCount < old.forwardedCount;
}

const parseVersion = (raw: string | undefined): number => {
  if (raw === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "Missing 'version'.");
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw notFound("Unknown backup version.");
  return Number(raw);
};

/**
 * Server-side key backup (/room_keys). The server stores what the client encrypted for its backup
 * key and never sees the keys themselves. Writes for one user run one at a time (one process), so the
 * replacement rule compares with what is stored.
 */
export class KeyBackupService {
  private readonly serial = new Serial();

  constructor(private readonly store: KeyBackupStore) {}

  create(userId: UserId, algorithm: string, authData: JsonObject): Promise<{ version: string }> {
    return this.serial.run(async () => ({ version: String(await this.store.create(userId, algorithm, authData)) }));
  }

  async info(userId: UserId, rawVersion: string | null): Promise<JsonObject> {
    const v = await this.found(userId, rawVersion === null ? null : parseVersion(rawVersion));
    return { algorithm: v.algorithm, auth_data: v.authData, count: await this.store.count(userId, v.version), etag: String(v.etag), version: String(v.version) };
  }

  update(userId: UserId, rawVersion: string, body: { algorithm: string; auth_data: JsonObject; version?: string }): Promise<void> {
    return this.serial.run(async () => {
      const v = await this.found(userId, parseVersion(rawVersion));
      if (body.version !== undefined && body.version !== rawVersion) throw invalidParam("The version in the body is not the one in the path.");
      if (body.algorithm !== v.algorithm) throw invalidParam("The algorithm of a backup cannot change.");
      await this.store.updateAuthData(userId, v.version, body.auth_data);
    });
  }

  delete(userId: UserId, rawVersion: string): Promise<void> {
    return this.serial.run(async () => {
      if (!(await this.store.delete(userId, parseVersion(rawVersion)))) throw notFound("Unknown backup version.");
    });
  }

  /** Stores sessions into the current version (403 M_WRONG_ROOM_KEYS_VERSION for any other). */
  put(userId: UserId, rawVersion: string | undefined, sessions: BackupSession[]): Promise<{ etag: string; count: number }> {
    return this.serial.run(async () => {
      const version = parseVersion(rawVersion);
      const current = await this.store.get(userId, null);
      if (!current || current.version !== version) {
        if (!current) throw notFound("Unknown backup version.");
        throw new MatrixError(403, "M_WRONG_ROOM_KEYS_VERSION", "Wrong backup version.", { current_version: String(current.version) });
      }
      const rooms = new Set(sessions.map((s) => s.roomId));
      const stored = new Map<string, BackupSession>();
      for (const r of rooms) for (const s of await this.store.sessions(userId, version, r, null)) stored.set(`${s.roomId}\u0000${s.sessionId}`, s);
      const keep = sessions.filter((s) => better(s, stored.get(`${s.roomId}\u0000${s.sessionId}`)));
      await this.store.put(userId, version, keep);
      return this.etagAndCount(userId, version);
    });
  }

  async get(userId: UserId, rawVersion: string | undefined, roomId: string | null, sessionId: string | null): Promise<BackupSession[]> {
    const v = await this.found(userId, parseVersion(rawVersion));
    return this.store.sessions(userId, v.version, roomId, sessionId);
  }

  remove(userId: UserId, rawVersion: string | undefined, roomId: string | null, sessionId: string | null): Promise<{ etag: string; count: number }> {
    return this.serial.run(async () => {
      const v = await this.found(userId, parseVersion(rawVersion));
      await this.store.remove(userId, v.version, roomId, sessionId);
      return this.etagAndCount(userId, v.version);
    });
  }

  private async etagAndCount(userId: UserId, version: number): Promise<{ etag: string; count: number }> {
    const v = await this.found(userId, version);
    return { etag: String(v.etag), count: await this.store.count(userId, version) };
  }

  private async found(userId: UserId, version: number | null): Promise<BackupVersion> {
    const v = await this.store.get(userId, version);
    if (!v) throw notFound(version === null ? "No current backup version." : "Unknown backup version.");
    return v;
  }
}
