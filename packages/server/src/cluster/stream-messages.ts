import type { DeviceId, RoomId, UserId } from "@axon/protocol";

/** The bus channel stream wake-ups travel on; acknowledgements of token revocations on ACK_CHANNEL. */
export const STREAM_CHANNEL = "streams";
export const ACK_CHANNEL = "acks";

/**
 * What the owner (the one writer) tells the other processes after each write. Streams kept in the
 * database say only how far they moved (`from` → `p`): followers read the rows back by position, so a
 * lost message costs latency, never data. Small in-memory facts (typing lists, who has new to-device
 * messages or device-list changes, dropped tokens) travel inline; a follower that sees a gap in those
 * falls back to a conservative answer ("anyone may have news").
 */
export type StreamMessage =
  | { s: "events" | "receipts" | "account_data"; from: number; p: number }
  | { s: "device_lists"; from: number; p: number; observers: UserId[] }
  | { s: "to_device"; from: number; p: number; devices: [UserId, DeviceId][] }
  | { s: "typing"; p: number; room: RoomId; typers: UserId[] }
  | { s: "otk"; user: UserId; device: DeviceId }
  | { s: "tokens"; id: string; origin: string; hashes: string[] }
  | { s: "alive"; pid: string };

export interface AckMessage {
  id: string;
  pid: string;
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
const isPairs = (v: unknown): v is [string, string][] => Array.isArray(v) && v.every((x) => Array.isArray(x) && x.length === 2 && isStrings(x));

/** Checks a message off the bus (another process, but still bytes from the network): null when malformed. */
export function parseStreamMessage(raw: unknown): StreamMessage | null {
  if (typeof raw !== "object" || raw === null) return null;
  const m = raw as Record<string, unknown>;
  switch (m.s) {
    case "events":
    case "receipts":
    case "account_data":
      return isNum(m.from) && isNum(m.p) ? { s: m.s, from: m.from, p: m.p } : null;
    case "device_lists":
      return isNum(m.from) && isNum(m.p) && isStrings(m.observers) ? { s: m.s, from: m.from, p: m.p, observers: m.observers as UserId[] } : null;
    case "to_device":
      return isNum(m.from) && isNum(m.p) && isPairs(m.devices) ? { s: m.s, from: m.from, p: m.p, devices: m.devices as [UserId, DeviceId][] } : null;
    case "typing":
      return isNum(m.p) && typeof m.room === "string" && isStrings(m.typers) ? { s: m.s, p: m.p, room: m.room as RoomId, typers: m.typers as UserId[] } : null;
    case "otk":
      return typeof m.user === "string" && typeof m.device === "string" ? { s: m.s, user: m.user as UserId, device: m.device as DeviceId } : null;
    case "tokens":
      return typeof m.id === "string" && typeof m.origin === "string" && isStrings(m.hashes) ? { s: m.s, id: m.id, origin: m.origin, hashes: m.hashes } : null;
    case "alive":
      return typeof m.pid === "string" ? { s: m.s, pid: m.pid } : null;
    default:
      return null;
  }
}

export function parseAck(raw: unknown): AckMessage | null {
  if (typeof raw !== "object" || raw === null) return null;
  const m = raw as Record<string, unknown>;
  return typeof m.id === "string" && typeof m.pid === "string" ? { id: m.id, pid: m.pid } : null;
}
