import type { PresenceState, UserId } from "@axon/protocol";

/** What survives a restart for one user. Device liveness does not: devices re-announce themselves by syncing. */
export interface StoredPresence {
  userId: UserId;
  state: PresenceState;
  statusMsg: string | null;
  lastActiveAt: number | null;
  busy: boolean;
  busyFromCall: boolean;
  activeCalls: number;
  stateBeforeCall: PresenceState | null;
  choseDuringCall: boolean;
  updatedAt: number;
}

/** Storage port for presence. */
export interface PresenceStore {
  /** Every stored row (start-up). */
  loadAll(): Promise<StoredPresence[]>;
  /** Upserts the rows in one transaction; resolves after commit. */
  saveMany(rows: StoredPresence[]): Promise<void>;
}
