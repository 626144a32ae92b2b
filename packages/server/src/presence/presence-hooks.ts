import type { DeviceId, UserId } from "@axon/protocol";

export interface PresenceHooks {
  /** A /sync started for this device; setPresence already validated. */
  syncStarted(userId: UserId, deviceId: DeviceId, setPresence: "online" | "unavailable" | "offline"): void;
  /** That /sync request ended (returned, timed out, or the client went away). */
  syncEnded(userId: UserId, deviceId: DeviceId): void;
  /** The user did something: sent an event, typed, sent a receipt/read marker. */
  activity(userId: UserId, deviceId: DeviceId): void;
  /** An event was persisted (after commit), for call detection (m.call.*, org.matrix.msc3401.call.member). */
  eventPersisted(event: { event_id: string; room_id: string; sender: string; type: string; state_key?: string; content: Record<string, unknown>; origin_server_ts: number }): void;
}
