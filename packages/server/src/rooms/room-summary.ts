import type { RoomState } from "./room-writer";

/** A string field of a state event's content (state key ""), if it is one. */
export function stateString(state: RoomState, type: string, key: string): string | undefined {
  const v = state.get(type, "")?.content[key];
  return typeof v === "string" ? v : undefined;
}

/** The summary fields of a room (public room directory, space hierarchy) from its current state. */
export function roomSummary(roomId: string, state: RoomState, joinedMembers: number): Record<string, unknown> {
  const str = (type: string, key: string) => stateString(state, type, key);
  return {
    room_id: roomId,
    num_joined_members: joinedMembers,
    world_readable: str("m.room.history_visibility", "history_visibility") === "world_readable",
    guest_can_join: str("m.room.guest_access", "guest_access") === "can_join",
    join_rule: str("m.room.join_rules", "join_rule") ?? "invite",
    ...(str("m.room.name", "name") !== undefined && { name: str("m.room.name", "name") }),
    ...(str("m.room.topic", "topic") !== undefined && { topic: str("m.room.topic", "topic") }),
    ...(str("m.room.canonical_alias", "alias") !== undefined && { canonical_alias: str("m.room.canonical_alias", "alias") }),
    ...(str("m.room.avatar", "url") !== undefined && { avatar_url: str("m.room.avatar", "url") }),
  };
}
