import type { DeviceId } from "@axon/protocol";

/** A persisted room event: the wire (PDU) fields plus where it sits in our global stream. */
export interface RoomEvent {
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: Record<string, unknown>;
  origin_server_ts: number;
  depth: number;
  prev_events: string[];
  auth_events: string[];
  /** prev_content / replaces_state / prev_sender, fixed when the event was persisted. */
  unsigned?: Record<string, unknown>;
  streamOrdering: number;
  /** Which device sent it under which transaction id (so that device sees unsigned.transaction_id). */
  txn?: { deviceId: DeviceId; txnId: string };
  /** Another event relates to this one: bundled aggregations are looked up only for these. */
  hasRelations?: boolean;
}

export type Membership = "join" | "invite" | "leave" | "ban" | "knock";

export const stateKeyOf = (type: string, stateKey: string) => `${type}\u0000${stateKey}`;

/** The client-server wire form of an event; `viewer` sees their own transaction id. */
export function clientEvent(
  e: RoomEvent,
  now: number,
  viewerDevice?: { userId: string; deviceId: string },
  /** Bundled aggregations (`unsigned["m.relations"]`), when the event has any. */
  relations?: Record<string, unknown>,
): Record<string, unknown> {
  const unsigned: Record<string, unknown> = { ...(e.unsigned ?? {}), age: Math.max(0, now - e.origin_server_ts) };
  if (relations) unsigned["m.relations"] = relations;
  if (e.txn && viewerDevice && viewerDevice.userId === e.sender && viewerDevice.deviceId === e.txn.deviceId) {
    unsigned.transaction_id = e.txn.txnId;
  }
  return {
    event_id: e.event_id,
    room_id: e.room_id,
    sender: e.sender,
    type: e.type,
    ...(e.state_key !== undefined && { state_key: e.state_key }),
    // Room versions before 11 carry a redaction's target at the top level (it is kept in content too).
    ...(e.type === "m.room.redaction" && typeof e.content.redacts === "string" && { redacts: e.content.redacts }),
    content: e.content,
    origin_server_ts: e.origin_server_ts,
    unsigned,
  };
}

/** The stripped form used in invite_state. */
export function strippedEvent(e: RoomEvent): Record<string, unknown> {
  return { type: e.type, state_key: e.state_key ?? "", sender: e.sender, content: e.content };
}
