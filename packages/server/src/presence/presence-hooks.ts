import type { DeviceId, UserId } from "@axon/protocol";
import type { RoomEvent } from "../rooms/room-event";

/** The part of a persisted event presence reads. */
export type PersistedEvent = Pick<RoomEvent, "event_id" | "room_id" | "sender" | "type" | "state_key" | "content" | "origin_server_ts">;

export interface PresenceHooks {
  /** A /sync started for this device; setPresence already validated. */
  syncStarted(userId: UserId, deviceId: DeviceId, setPresence: "online" | "unavailable" | "offline"): void;
  /** That /sync request ended (returned, timed out, or the client went away); setPresence as it started. */
  syncEnded(userId: UserId, deviceId: DeviceId, setPresence: "online" | "unavailable" | "offline"): void;
  /** The user did something: sent an event, typed, sent a receipt/read marker. */
  activity(userId: UserId, deviceId: DeviceId): void;
  /** An event was persisted (after commit), for call detection (m.call.*, org.matrix.msc3401.call.member). */
  eventPersisted(event: PersistedEvent): void;
}

/** For services used without presence (unit tests): every hook does nothing. */
export const noPresenceHooks: PresenceHooks = {
  syncStarted() {},
  syncEnded() {},
  activity() {},
  eventPersisted() {},
};
