import type { PushAction } from "../push/push-rule-types";
import type { RoomEvent } from "../rooms/room-event";
import type { RoomState } from "../rooms/room-writer";
import type { PusherRecord } from "./pusher-store";

/** What one notification says besides the event: names from the room's state, the badge count. */
export interface NotifyFacts {
  event: RoomEvent;
  recipient: string;
  highlight: boolean;
  actions: PushAction[];
  /** The recipient's unread notifications across their joined rooms, this one included. */
  unread: number;
  senderDisplayName: string | null;
  roomName: string | null;
  roomAlias: string | null;
}

/** The sender's display name and the room's name and alias, from the room's current state. */
export function namesOf(state: RoomState | undefined, sender: string): Pick<NotifyFacts, "senderDisplayName" | "roomName" | "roomAlias"> {
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  return {
    senderDisplayName: str(state?.get("m.room.member", sender)?.content.displayname),
    roomName: str(state?.get("m.room.name", "")?.content.name),
    roomAlias: str(state?.get("m.room.canonical_alias", "")?.content.alias),
  };
}

/** The push rule's tweaks (`set_tweak` actions) as the gateway reads them; a tweak with no value is true. */
export function tweaksOf(actions: readonly PushAction[]): Record<string, unknown> {
  const tweaks: Record<string, unknown> = {};
  for (const a of actions) if (typeof a === "object" && a !== null && typeof a.set_tweak === "string") tweaks[a.set_tweak] = a.value === undefined ? true : a.value;
  return tweaks;
}

/**
 * The Push Gateway API's `notify` body for one pusher. `data.format: "event_id_only"` sends only the
 * ids, counts, priority and device; otherwise the event's type, sender, names and content too.
 */
export function notifyBody(n: NotifyFacts, pusher: PusherRecord): { notification: Record<string, unknown> } {
  const { url: _url, ...data } = pusher.data;
  const e = n.event;
  const device = { app_id: pusher.appId, pushkey: pusher.pushkey, pushkey_ts: Math.floor(pusher.ts / 1000), data, tweaks: tweaksOf(n.actions) };
  const base = {
    event_id: e.event_id,
    room_id: e.room_id,
    prio: n.highlight ? "high" : "low",
    // The spec: counts that are zero are left out.
    counts: n.unread > 0 ? { unread: n.unread } : {},
    devices: [device],
  };
  if (pusher.data.format === "event_id_only") return { notification: base };
  return {
    notification: {
      ...base,
      type: e.type,
      sender: e.sender,
      ...(n.senderDisplayName !== null && { sender_display_name: n.senderDisplayName }),
      ...(n.roomName !== null && { room_name: n.roomName }),
      ...(n.roomAlias !== null && { room_alias: n.roomAlias }),
      ...(e.type === "m.room.member" && { user_is_target: e.state_key === n.recipient }),
      content: e.content,
    },
  };
}
