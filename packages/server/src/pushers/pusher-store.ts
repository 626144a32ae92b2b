import type { DeviceId, UserId } from "@axon/protocol";

/** One HTTP pusher: where a user's notifications go (a push gateway) and what it forwards there. */
export interface PusherRecord {
  userId: UserId;
  /** The device whose access token set it; the pusher is deleted with that device. */
  deviceId: DeviceId;
  appId: string;
  pushkey: string;
  kind: "http";
  appDisplayName: string;
  deviceDisplayName: string;
  profileTag: string | null;
  lang: string;
  /** As the client sent it: `url` (the gateway), optional `format`, any custom keys. */
  data: Record<string, unknown>;
  /** When it was last set (ms since the epoch). */
  ts: number;
}

/** The pusher key: unique per user. */
export interface PusherKey {
  userId: UserId;
  appId: string;
  pushkey: string;
}

/** What the pusher service keeps in the database. */
export interface PusherStore {
  /** Every pusher (loaded once at start-up; the service keeps them in memory). */
  all(): Promise<PusherRecord[]>;
  /**
   * Creates or replaces the user's pusher with this app_id and pushkey. `removeOthers`: in the same
   * transaction, deletes other users' pushers with the same app_id and pushkey; returns their keys.
   */
  set(pusher: PusherRecord, removeOthers: boolean): Promise<PusherKey[]>;
  /** Deletes one pusher; false when there was none. */
  delete(key: PusherKey): Promise<boolean>;
  /** Deletes the pushers these devices set; returns their keys. */
  deleteForDevices(userId: UserId, deviceIds: readonly DeviceId[]): Promise<PusherKey[]>;
}
