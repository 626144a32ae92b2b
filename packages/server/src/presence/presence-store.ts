import type { PresenceState, UserId } from "@axon/protocol";

/**
 * What survives a restart for one user. Device liveness and call tracking do not: devices
 * re-announce themselves by syncing, and a call whose end is not seen ends by the busy lease.
 */
export interface StoredPresence {
  userId: UserId;
  /** The effective state when written. */
  state: PresenceState;
  statusMsg: string | null;
  lastActiveAt: number | null;
  /** The busy was made by a call. */
  busyFromCall: boolean;
  /** When the explicit choice ends (ms), if it has an end. */
  expiresAt: number | null;
  updatedAt: number;
}

/** Storage port for presence. */
export interface PresenceStore {
  /** Every stored row (start-up). */
  loadAll(): Promise<StoredPresence[]>;
  /** Upserts the rows in one transaction; resolves after commit. */
  saveMany(rows: StoredPresence[]): Promise<void>;
}
