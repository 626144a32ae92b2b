import type { UserId } from "@axon/protocol";
import type { ProtoEvent } from "./room-auth";

export type RoomPreset = "private_chat" | "public_chat" | "trusted_private_chat";

export interface CreateRoomOptions {
  preset?: RoomPreset;
  visibility?: "public" | "private";
  name?: string;
  topic?: string;
  invite?: UserId[];
  isDirect?: boolean;
  initialState?: { type: string; state_key?: string; content: Record<string, unknown> }[];
  /** Full alias (#local:server), already checked to be free. */
  alias?: string;
  powerLevelOverride?: Record<string, unknown>;
  creationContent?: Record<string, unknown>;
  roomVersion?: string;
}

/** The spec's initial events of a new room, in order (creator's profile goes into their join). */
export function initialEvents(
  creator: UserId,
  opts: CreateRoomOptions,
  creatorProfile: Record<string, unknown>,
  roomVersion: string,
): ProtoEvent[] {
  const preset: RoomPreset = opts.preset ?? (opts.visibility === "public" ? "public_chat" : "private_chat");
  const invitees = opts.invite ?? [];
  const st = (type: string, content: Record<string, unknown>, state_key = ""): ProtoEvent => ({ type, sender: creator, state_key, content });

  const users: Record<string, number> = { [creator]: 100 };
  if (preset === "trusted_private_chat") for (const u of invitees) users[u] = 100;
  const powerLevels: Record<string, unknown> = {
    users,
    users_default: 0,
    events: {
      "m.room.name": 50,
      "m.room.power_levels": 100,
      "m.room.history_visibility": 100,
      "m.room.canonical_alias": 50,
      "m.room.avatar": 50,
      "m.room.tombstone": 100,
      "m.room.server_acl": 100,
      "m.room.encryption": 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    notifications: { room: 50 },
    ...(opts.powerLevelOverride ?? {}),
  };

  const out: ProtoEvent[] = [
    st("m.room.create", { ...(opts.creationContent ?? {}), creator, room_version: roomVersion }),
    st("m.room.member", { ...creatorProfile, membership: "join" }, creator),
    st("m.room.power_levels", powerLevels),
  ];
  if (opts.alias) out.push(st("m.room.canonical_alias", { alias: opts.alias }));

  // Preset state, then initial_state (which wins for the same key), then name/topic, then invites.
  const presetState: ProtoEvent[] = [
    st("m.room.join_rules", { join_rule: preset === "public_chat" ? "public" : "invite" }),
    st("m.room.history_visibility", { history_visibility: "shared" }),
    st("m.room.guest_access", { guest_access: preset === "public_chat" ? "forbidden" : "can_join" }),
  ];
  const initial = (opts.initialState ?? []).map((s) => st(s.type, s.content, s.state_key ?? ""));
  const overridden = new Set(initial.map((e) => `${e.type}|${e.state_key}`));
  out.push(...presetState.filter((e) => !overridden.has(`${e.type}|${e.state_key}`)));
  out.push(...initial.filter((e) => e.type !== "m.room.create" && e.type !== "m.room.member" && e.type !== "m.room.power_levels"));
  if (opts.name !== undefined) out.push(st("m.room.name", { name: opts.name }));
  if (opts.topic !== undefined) out.push(st("m.room.topic", { topic: opts.topic }));
  for (const u of invitees) {
    out.push({ type: "m.room.member", sender: creator, state_key: u, content: { membership: "invite", ...(opts.isDirect && { is_direct: true }) } });
  }
  return out;
}
