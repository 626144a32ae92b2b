import type { SyncFilter, SyncResponse } from "./stream-provider";

export interface RoomSections {
  join: Record<string, Record<string, unknown>>;
  invite: Record<string, Record<string, unknown>>;
  leave: Record<string, Record<string, unknown>>;
  knock: Record<string, Record<string, unknown>>;
}

/** The skeleton every /sync response starts from: spec-shaped even when nothing happened. */
export function emptySyncResponse(): SyncResponse {
  return {
    rooms: { join: {}, invite: {}, leave: {}, knock: {} } satisfies RoomSections,
    account_data: { events: [] },
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
    device_one_time_keys_count: {},
  };
}

export function roomsOf(res: SyncResponse): RoomSections {
  return res.rooms as RoomSections;
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

/** Fills the keys a joined room must have, so clients never meet a missing section. */
export function completeRooms(res: SyncResponse): void {
  const { join, leave } = roomsOf(res);
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
