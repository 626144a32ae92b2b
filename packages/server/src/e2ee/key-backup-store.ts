import type { UserId } from "@axon/protocol";
import type { JsonObject } from "./e2ee-store";

export interface BackupVersion {
  version: number;
  algorithm: string;
  authData: JsonObject;
  etag: number;
}

/** One backed-up session key as the client sent it (its session_data is encrypted for the backup key). */
export interface BackupSession {
  roomId: string;
  sessionId: string;
  firstMessageIndex: number;
  forwardedCount: number;
  isVerified: boolean;
  sessionData: JsonObject;
}

/** Storage port for server-side key backup. */
export interface KeyBackupStore {
  create(userId: UserId, algorithm: string, authData: JsonObject): Promise<number>;
  /** The newest live version, or the one asked for (null when none or deleted). */
  get(userId: UserId, version: number | null): Promise<BackupVersion | null>;
  updateAuthData(userId: UserId, version: number, authData: JsonObject): Promise<void>;
  /** Marks it deleted and drops its keys; false when there was none. */
  delete(userId: UserId, version: number): Promise<boolean>;
  sessions(userId: UserId, version: number, roomId: string | null, sessionId: string | null): Promise<BackupSession[]>;
  /** Writes the sessions (already chosen by the replacement rule) and bumps the etag, in one transaction. */
  put(userId: UserId, version: number, sessions: BackupSession[]): Promise<void>;
  /** Deletes matching sessions and bumps the etag. */
  remove(userId: UserId, version: number, roomId: string | null, sessionId: string | null): Promise<void>;
  count(userId: UserId, version: number): Promise<number>;
}
