import { forbidden } from "@axon/protocol";
import type { RoomEvent } from "./room-event";

/** Read access to a room's current state. */
export interface StateLookup {
  get(type: string, stateKey: string): RoomEvent | undefined;
}

/** What an event looks like before it is persisted. */
export interface ProtoEvent {
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
}

const num = (v: unknown, fallback: number): number => {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v);
  return fallback;
};
const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export const membershipOf = (state: StateLookup, userId: string): string => {
  const m = state.get("m.room.member", userId)?.content.membership;
  return typeof m === "string" ? m : "leave";
};

function creatorOf(state: StateLookup): string | undefined {
  const create = state.get("m.room.create", "");
  const c = create?.content.creator;
  return typeof c === "string" ? c : create?.sender;
}

export function powerLevelOf(state: StateLookup, userId: string): number {
  const pl = state.get("m.room.power_levels", "");
  if (!pl) return userId === creatorOf(state) ? 100 : 0;
  const users = obj(pl.content.users);
  return num(users[userId], num(pl.content.users_default, 0));
}

/** ban / kick / redact / invite: the level the action needs. */
export function actionLevel(state: StateLookup, action: "ban" | "kick" | "redact" | "invite"): number {
  const pl = state.get("m.room.power_levels", "");
  return num(pl?.content[action], action === "invite" ? 0 : 50);
}

/** The level needed to send an event of this type (a state event when isState). */
export function eventLevel(state: StateLookup, type: string, isState: boolean): number {
  const pl = state.get("m.room.power_levels", "");
  if (!pl) return 0;
  const events = obj(pl.content.events);
  if (type in events) return num(events[type], 0);
  return isState ? num(pl.content.state_default, 50) : num(pl.content.events_default, 0);
}

/**
 * The spec's authorization rules, reduced to one server (no signatures, no federation):
 * throws 403 M_FORBIDDEN when the event must not enter the room.
 */
export function authorize(state: StateLookup, ev: ProtoEvent): void {
  if (ev.type === "m.room.create") {
    if (state.get("m.room.create", "")) throw forbidden("The room already exists.");
    return;
  }
  if (!state.get("m.room.create", "")) throw forbidden("The room has no create event.");
  if (ev.type === "m.room.member") return authorizeMember(state, ev);

  if (membershipOf(state, ev.sender) !== "join") throw forbidden(`${ev.sender} is not in the room.`);
  const isState = ev.state_key !== undefined;
  const mine = powerLevelOf(state, ev.sender);
  const needed = eventLevel(state, ev.type, isState);
  if (mine < needed) throw forbidden(`You need power level ${needed} to send ${ev.type}; you have ${mine}.`);
  if (isState && ev.state_key!.startsWith("@") && ev.state_key !== ev.sender) {
    throw forbidden("A state key that is a user id belongs to that user.");
  }
  if (ev.type === "m.room.power_levels") authorizePowerLevels(state, ev, mine);
}

function authorizeMember(state: StateLookup, ev: ProtoEvent): void {
  const target = ev.state_key;
  const membership = ev.content.membership;
  if (target === undefined || typeof membership !== "string") throw forbidden("A member event needs a state key and a membership.");
  const targetNow = membershipOf(state, target);
  const senderNow = membershipOf(state, ev.sender);

  if (membership === "join") {
    if (ev.sender !== target) throw forbidden("You can only join as yourself.");
    // The creator's own join, straight after m.room.create.
    if (!state.get("m.room.power_levels", "") && !state.get("m.room.join_rules", "") && target === creatorOf(state)) return;
    if (targetNow === "ban") throw forbidden("You are banned from this room.");
    if (targetNow === "join" || targetNow === "invite") return;
    const rule = state.get("m.room.join_rules", "")?.content.join_rule;
    if (rule === "public") return;
    throw forbidden("You are not invited to this room.");
  }
  const mine = powerLevelOf(state, ev.sender);
  const theirs = powerLevelOf(state, target);
  if (membership === "invite") {
    if (senderNow !== "join") throw forbidden("You are not in the room.");
    if (targetNow === "join") throw forbidden(`${target} is already in the room.`);
    if (targetNow === "ban") throw forbidden(`${target} is banned from the room.`);
    if (mine < actionLevel(state, "invite")) throw forbidden("You do not have permission to invite.");
    return;
  }
  if (membership === "leave") {
    if (ev.sender === target) {
      if (targetNow === "join" || targetNow === "invite" || targetNow === "knock") return;
      throw forbidden("You are not in the room.");
    }
    if (senderNow !== "join") throw forbidden("You are not in the room.");
    if (targetNow === "ban") {
      if (mine < actionLevel(state, "ban")) throw forbidden("You do not have permission to unban.");
      return;
    }
    if (targetNow === "leave") throw forbidden(`${target} is not in the room.`);
    if (mine < actionLevel(state, "kick") || mine <= theirs) throw forbidden("You do not have permission to kick that user.");
    return;
  }
  if (membership === "ban") {
    if (senderNow !== "join") throw forbidden("You are not in the room.");
    if (mine < actionLevel(state, "ban") || mine <= theirs) throw forbidden("You do not have permission to ban that user.");
    return;
  }
  throw forbidden(`Membership '${membership}' is not supported.`);
}

function authorizePowerLevels(state: StateLookup, ev: ProtoEvent, mine: number): void {
  const old = state.get("m.room.power_levels", "")?.content ?? {};
  const next = ev.content;
  const defaults: Record<string, number> = { users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0 };
  const check = (label: string, before: number | undefined, after: number | undefined) => {
    if (before === after) return;
    if ((before ?? -Infinity) > mine || (after ?? -Infinity) > mine) {
      throw forbidden(`You cannot change '${label}' beyond your own power level.`);
    }
  };
  for (const [key, d] of Object.entries(defaults)) check(key, num(old[key], d), num(next[key], d));
  const maps = ["events", "notifications"] as const;
  for (const m of maps) {
    const a = obj(old[m]);
    const b = obj(next[m]);
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      check(`${m}.${k}`, k in a ? num(a[k], 0) : undefined, k in b ? num(b[k], 0) : undefined);
    }
  }
  const ua = obj(old.users);
  const ub = obj(next.users);
  for (const u of new Set([...Object.keys(ua), ...Object.keys(ub)])) {
    const before = u in ua ? num(ua[u], 0) : undefined;
    const after = u in ub ? num(ub[u], 0) : undefined;
    if (before === after) continue;
    if (u !== ev.sender && before !== undefined && before >= mine) throw forbidden(`You cannot change the level of ${u}.`);
    check(`users.${u}`, before, after);
  }
}
