/** Presence values as MSC3026 defines them, and how to read every spelling of busy in the wild. */
export type PresenceState = "online" | "unavailable" | "offline" | "busy";

/** MSC3026's unstable wire value for busy: what the SDK sends. */
export const BUSY_WIRE = "org.matrix.msc3026.busy";
/** The `/versions` `unstable_features` flag that says a server accepts busy. */
export const BUSY_FLAG = "org.matrix.msc3026.busy_presence";
/** Axon's unstable field: when an explicit presence choice ends (ms since the epoch). */
export const EXPIRES_AT_FIELD = "io.axon.expires_at";
/** The `/versions` flag that says a server ends choices at EXPIRES_AT_FIELD. */
export const EXPIRY_FLAG = "io.axon.presence_expiry";
/** Spellings of busy sent by servers and clients today; all read as busy. */
export const BUSY_SPELLINGS: readonly string[] = [BUSY_WIRE, "busy", "org.matrix.busy"];

/** Reads a wire presence value: any spelling of busy is busy; anything not known is "unknown", never guessed. */
export function parsePresence(value: unknown): PresenceState | "unknown" {
  if (value === "online" || value === "unavailable" || value === "offline") return value;
  if (typeof value === "string" && BUSY_SPELLINGS.includes(value)) return "busy";
  return "unknown";
}

/** The value to send for a state: busy goes out under MSC3026's unstable name. */
export function toWirePresence(state: PresenceState): string {
  return state === "busy" ? BUSY_WIRE : state;
}

export const PRESENCE_STATES: readonly PresenceState[] = ["online", "busy", "unavailable", "offline"];

export function isPresenceState(value: unknown): value is PresenceState {
  return typeof value === "string" && (PRESENCE_STATES as readonly string[]).includes(value);
}

/** The order people are listed in: busy, online, away, offline, then anything unknown. */
export function presenceRank(state: PresenceState | "unknown"): number {
  return { busy: 0, online: 1, unavailable: 2, offline: 3, unknown: 4 }[state];
}

/** Words for a state, as a person reads them. */
export function presenceLabel(state: PresenceState | "unknown"): string {
  return { busy: "Busy", online: "Online", unavailable: "Away", offline: "Offline", unknown: "Unknown" }[state];
}

/** "active just now", "active 3 min ago", "active 2 h ago", "active 4 days ago". */
export function activeAgo(lastActiveAt: number | null, now: number): string {
  if (lastActiveAt === null) return "";
  const s = Math.max(0, Math.floor((now - lastActiveAt) / 1000));
  if (s < 60) return "active just now";
  const min = Math.floor(s / 60);
  if (min < 60) return `active ${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 24) return `active ${h} h ago`;
  const d = Math.floor(h / 24);
  return `active ${d} day${d === 1 ? "" : "s"} ago`;
}
