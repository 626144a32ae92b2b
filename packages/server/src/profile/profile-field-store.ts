import type { UserId } from "@axon/protocol";

/** One extended profile field as stored: its value as JSON text, and who wrote it. */
export interface StoredProfileField {
  key: string;
  /** The value as JSON text (any JSON, `null` included). */
  value: string;
  /** The server wrote it (e.g. the MSC4426 call field), not the user: only the server removes it. */
  setByServer: boolean;
}

/**
 * Storage port for extended profile fields (spec v1.16, MSC4133). `displayname` and `avatar_url`
 * are not kept here: they stay in the accounts store.
 */
export interface ProfileFieldStore {
  list(userId: UserId): Promise<StoredProfileField[]>;
  get(userId: UserId, key: string): Promise<StoredProfileField | null>;
  /** Writes the user's own value (it is then the user's, whoever wrote it before). */
  put(userId: UserId, key: string, value: string): Promise<void>;
  /** Returns whether there was a field to delete. */
  delete(userId: UserId, key: string): Promise<boolean>;
  /** Writes a server value unless the user has a value of their own under the key; true when written. */
  putUnlessUserOwned(userId: UserId, key: string, value: string): Promise<boolean>;
  /** Deletes the field only when the server wrote it; true when deleted. */
  deleteIfServerOwned(userId: UserId, key: string): Promise<boolean>;
  /** Deletes every server-written value of the key; returns whose. */
  deleteAllServerOwned(key: string): Promise<UserId[]>;
}
