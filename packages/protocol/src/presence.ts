/** Presence on the wire (client-server API plus MSC3026). */
export type PresenceState = "online" | "unavailable" | "offline" | "busy";

/** MSC3026's unstable wire value for busy; what Axon sends. */
export const BUSY_WIRE = "org.matrix.msc3026.busy";
export const BUSY_FEATURE_FLAG = "org.matrix.msc3026.busy_presence";
/** Ours: an explicit presence choice may carry an end (ms since the epoch) in this field. */
export const EXPIRES_AT_FIELD = "io.axon.expires_at";
/** Ours: the `/versions` flag that says the server honours EXPIRES_AT_FIELD. */
export const EXPIRY_FEATURE_FLAG = "io.axon.presence_expiry";
/** Every spelling of busy accepted on input. */
export const BUSY_SPELLINGS: readonly string[] = [BUSY_WIRE, "busy", "org.matrix.busy"];

export type WirePresence = "online" | "unavailable" | "offline" | typeof BUSY_WIRE;

/** Maps any accepted spelling to the internal state, or null when it is not a presence value. */
export function parsePresenceState(raw: unknown): PresenceState | null {
  if (raw === "online" || raw === "unavailable" || raw === "offline") return raw;
  if (typeof raw === "string" && BUSY_SPELLINGS.includes(raw)) return "busy";
  return null;
}

export function toWirePresence(state: PresenceState): WirePresence {
  return state === "busy" ? BUSY_WIRE : state;
}

/** Content of an m.presence event and of GET /presence/{userId}/status. */
export interface PresenceContent {
  presence: WirePresence;
  last_active_ago?: number;
  currently_active?: boolean;
  status_msg?: string;
  /** EXPIRES_AT_FIELD: when the explicit choice ends, while it has an end. */
  "io.axon.expires_at"?: number;
}
