import type { SyncFilter, SyncResponse } from "./stream-provider";

export interface RoomSections {
  join: Record<string, Record<string, unknown>>;
  invite: Record<string, Record<string, unknown>>;
  leave: Record<string, Record<string, unknown>>;
  knock: Record<string, Record<string, unknown>>;
}

/**
 * What every /sync response starts from. Sections appear only when they hold something (as the
 * reference server does; every section but `next_batch` is optional in the spec), which keeps the
 * response to a woken long-poll small. `device_one_time_keys_count` is always there: some clients
 * (Element Android) treat its absence as "no keys uploaded". The to-device provider fills it with
 * the device's real counts, and `device_unused_fallback_key_types` (Rust crypto uploads a fallback
 * key only when the server reports that list).
 */
export function emptySyncResponse(): SyncResponse {
  return { device_one_time_keys_count: {} };
}

/** The `rooms` section, created on first use. */
export function roomsOf(res: SyncResponse): RoomSections {
  return (res.rooms ??= { join: {}, invite: {}, leave: {}, knock: {} } satisfies RoomSections) as RoomSections;
}

/** Appends to the global `account_data.events`. */
export function pushAccountData(res: SyncResponse, event: unknown): void {
  ((res.account_data ??= { events: [] }) as { events: unknown[] }).events.push(event);
}

/** The section for one room (created on first use). */
export function roomEntry(res: SyncResponse, kind: keyof RoomSections, roomId: string): Record<string, unknown> {
  const sections = roomsOf(res)[kind];
  return (sections[roomId] ??= {});
}

/** Appends to `<room>.<key>.events`. */
export function pushRoomEvents(res: SyncResponse, kind: keyof RoomSections, roomId: string, key: string, events: unknown[]): void {
  const room = roomEntry(res, kind, roomId);
  const section = (room[key] ??= { events: [] }) as { events: unknown[] };
  section.events.push(...events);
}

/** Fills the keys a room must have, so clients never meet a missing section; drops empty room kinds. */
export function completeRooms(res: SyncResponse): void {
  if (!res.rooms) return;
  const rooms = roomsOf(res);
  const { join, leave } = rooms;
  for (const room of Object.values(join)) {
    room.timeline ??= { events: [], limited: false };
    room.state ??= { events: [] };
    room.ephemeral ??= { events: [] };
    room.account_data ??= { events: [] };
    room.unread_notifications ??= { notification_count: 0, highlight_count: 0 };
    room.summary ??= {};
  }
  for (const room of Object.values(leave)) {
    room.timeline ??= { events: [], limited: false };
    room.state ??= { events: [] };
    room.account_data ??= { events: [] };
  }
  let any = false;
  for (const kind of ["join", "invite", "leave", "knock"] as const) {
    if (Object.keys(rooms[kind]).length === 0) delete rooms[kind];
    else any = true;
  }
  if (!any) delete res.rooms;
}

type RoomScoped = { rooms?: string[]; not_rooms?: string[] } | undefined;

/** The room filter's rooms/not_rooms, and the section's own. */
export function roomAllowed(filter: SyncFilter, roomId: string, section?: RoomScoped): boolean {
  const r = filter.room;
  for (const f of [r, section]) {
    if (f?.not_rooms?.includes(roomId)) return false;
    if (f?.rooms && !f.rooms.includes(roomId)) return false;
  }
  return true;
}
