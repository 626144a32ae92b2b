import {
  forbidden,
  invalidParam,
  MatrixError,
  notFound,
  parseRoomAlias,
  roomInUse,
  serverOf,
  unknown,
  type DeviceId,
  type RoomId,
  type UserId,
} from "@axon/protocol";
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock";
import type { PresenceHooks } from "../presence/presence-hooks";
import type { EventFilter } from "../sync/stream-provider";
import type { MembershipIndex } from "./membership-index";
import { actionLevel, eventLevel, powerLevelOf } from "./room-auth";
import { initialEvents, type CreateRoomOptions } from "./room-creation";
import type { RoomEvent } from "./room-event";
import type { RoomStore } from "./room-store";
import type { RoomState, RoomWriter } from "./room-writer";
import { roomToken } from "./room-token";
import { roomSummary } from "./room-summary";

export interface Actor {
  userId: UserId;
  deviceId: DeviceId;
  isAdmin?: boolean;
}

export type ProfileLookup = (userId: UserId) => Promise<{ displayname: string | null; avatarUrl: string | null } | null>;

export const SUPPORTED_ROOM_VERSIONS = ["10"];

/** Applies an event filter's type and sender rules (a trailing * in a type is a prefix match). */
export function eventMatches(f: EventFilter | undefined, e: { type: string; sender: string }): boolean {
  if (!f) return true;
  const typeIs = (pattern: string) => (pattern.endsWith("*") ? e.type.startsWith(pattern.slice(0, -1)) : e.type === pattern);
  if (f.not_types?.some(typeIs)) return false;
  if (f.types && !f.types.some(typeIs)) return false;
  if (f.not_senders?.includes(e.sender)) return false;
  if (f.senders && !f.senders.includes(e.sender)) return false;
  return true;
}

/** Rooms: creation, membership, sending, and reads with the spec's visibility rules. */
export class RoomService {
  constructor(
    private readonly store: RoomStore,
    private readonly writer: RoomWriter,
    private readonly membership: MembershipIndex,
    private readonly clock: Clock,
    readonly serverName: string,
    private readonly profiles: ProfileLookup,
    private readonly hooks: PresenceHooks,
  ) {}

  async createRoom(actor: Actor, opts: CreateRoomOptions & { aliasLocalpart?: string }): Promise<RoomId> {
    const version = opts.roomVersion ?? "10";
    if (!SUPPORTED_ROOM_VERSIONS.includes(version)) throw new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", `Room version ${version} is not supported.`);
    let alias: string | undefined;
    if (opts.aliasLocalpart !== undefined) {
      alias = `#${opts.aliasLocalpart}:${this.serverName}`;
      if (/[\s:#]/.test(opts.aliasLocalpart) || !parseRoomAlias(alias)) throw invalidParam("Invalid room_alias_name.");
      if (await this.store.getAlias(alias)) throw roomInUse();
    }
    const roomId = `!${randomBytes(12).toString("base64url")}:${this.serverName}` as RoomId;
    const protos = initialEvents(actor.userId, { ...opts, ...(alias && { alias }) }, await this.profileContent(actor.userId), version);
    await this.writer.exclusive(async () => {
      if (alias && !(await this.store.putAlias(alias, roomId, actor.userId))) throw roomInUse();
      try {
        await this.writer.append(roomId, protos, {
          newRoom: { roomId, roomVersion: version, creator: actor.userId, isPublic: opts.visibility === "public", createdTs: this.clock.now() },
        });
      } catch (err) {
        if (alias) await this.store.deleteAlias(alias);
        throw err;
      }
    });
    return roomId;
  }

  /** Sends a message-like event; the same (device, txnId) returns the first event id. */
  async send(actor: Actor, roomId: RoomId, type: string, content: Record<string, unknown>, txnId?: string): Promise<string> {
    // Redactions need their own checks (relations/redaction-service.ts).
    if (type === "m.room.redaction") throw forbidden("Redact with PUT /rooms/{roomId}/redact/{eventId}/{txnId}.");
    this.hooks.activity(actor.userId, actor.deviceId);
    return this.writer.exclusive(async () => {
      if (txnId !== undefined) {
        const existing = await this.store.findTxn(actor.userId, actor.deviceId, txnId);
        if (existing) return existing;
      }
      await this.requireRoom(roomId, false);
      const [e] = await this.writer.append(roomId, [{ type, sender: actor.userId, content }], {
        ...(txnId !== undefined && { txn: { deviceId: actor.deviceId, txnId } }),
      });
      return e!.event_id;
    });
  }

  async setState(actor: Actor, roomId: RoomId, type: string, stateKey: string, content: Record<string, unknown>): Promise<string> {
    this.hooks.activity(actor.userId, actor.deviceId);
    if (type === "m.room.canonical_alias") await this.checkCanonicalAlias(roomId, content);
    return this.writer.exclusive(async () => {
      await this.requireRoom(roomId, false);
      const [e] = await this.writer.append(roomId, [{ type, sender: actor.userId, state_key: stateKey, content }]);
      return e!.event_id;
    });
  }

  private async checkCanonicalAlias(roomId: RoomId, content: Record<string, unknown>): Promise<void> {
    const aliases = [content.alias, ...(Array.isArray(content.alt_aliases) ? content.alt_aliases : [])].filter((a) => a !== undefined && a !== null);
    for (const a of aliases) {
      if (typeof a !== "string" || !parseRoomAlias(a)) throw new MatrixError(400, "M_BAD_ALIAS", `Invalid alias ${String(a)}.`);
      if (serverOf(a) === this.serverName && (await this.store.getAlias(a))?.roomId !== roomId) {
        throw new MatrixError(400, "M_BAD_ALIAS", `Alias ${a} does not point to this room.`);
      }
    }
  }

  // --- membership ---

  async invite(actor: Actor, roomId: RoomId, target: UserId, reason?: string): Promise<void> {
    await this.member(actor, roomId, target, { membership: "invite", ...(reason && { reason }) });
  }

  /** Joins by room id or alias; returns the room id. */
  async join(actor: Actor, roomIdOrAlias: string, reason?: string): Promise<RoomId> {
    let roomId = roomIdOrAlias as RoomId;
    if (roomIdOrAlias.startsWith("#")) {
      const a = await this.store.getAlias(roomIdOrAlias);
      if (!a) throw notFound(`Room alias ${roomIdOrAlias} not found.`);
      roomId = a.roomId;
    }
    if (!(await this.writer.state(roomId))) throw notFound("No such room.");
    if (this.membership.isJoined(roomId, actor.userId)) return roomId;
    await this.member(actor, roomId, actor.userId, { ...(await this.profileContent(actor.userId)), membership: "join", ...(reason && { reason }) });
    return roomId;
  }

  async leave(actor: Actor, roomId: RoomId, reason?: string): Promise<void> {
    const state = await this.writer.state(roomId);
    if (!state) throw notFound("No such room.");
    const now = state.get("m.room.member", actor.userId)?.content.membership;
    // Leaving a room you already left (or were banned from) is a no-op, as clients retry.
    if (now === "leave" || now === "ban") return;
    await this.member(actor, roomId, actor.userId, { membership: "leave", ...(reason && { reason }) });
  }

  async kick(actor: Actor, roomId: RoomId, target: UserId, reason?: string): Promise<void> {
    await this.member(actor, roomId, target, { membership: "leave", ...(reason && { reason }) }, "join_or_invite");
  }

  async ban(actor: Actor, roomId: RoomId, target: UserId, reason?: string): Promise<void> {
    await this.member(actor, roomId, target, { membership: "ban", ...(reason && { reason }) });
  }

  async unban(actor: Actor, roomId: RoomId, target: UserId, reason?: string): Promise<void> {
    await this.member(actor, roomId, target, { membership: "leave", ...(reason && { reason }) }, "ban");
  }

  async forget(actor: Actor, roomId: RoomId): Promise<void> {
    const m = await this.store.membership(roomId, actor.userId);
    if (m && (m.membership === "join" || m.membership === "invite")) throw unknown("Leave the room before forgetting it.");
    if (m) await this.store.forget(roomId, actor.userId);
  }

  /**
   * The user's display name or avatar changed: each room they are joined to gets a new member event
   * with them, as clients read names and avatars from member events. A room that refuses it (or
   * fails) is skipped: the profile itself is already changed.
   */
  async profileChanged(userId: UserId): Promise<void> {
    const profile = await this.profileContent(userId);
    for (const roomId of [...this.membership.roomsOf(userId)]) {
      await this.writer
        .exclusive(async () => {
          const current = (await this.writer.state(roomId))?.get("m.room.member", userId);
          if (current?.content.membership !== "join") return;
          const { displayname: _d, avatar_url: _a, ...rest } = current.content;
          const content = { ...rest, ...profile };
          if (current.content.displayname === content.displayname && current.content.avatar_url === content.avatar_url) return;
          await this.writer.append(roomId, [{ type: "m.room.member", sender: userId, state_key: userId, content }]);
        })
        .catch(() => {});
    }
  }

  private async member(actor: Actor, roomId: RoomId, target: UserId, content: Record<string, unknown>, expect?: "ban" | "join_or_invite"): Promise<void> {
    this.hooks.activity(actor.userId, actor.deviceId);
    await this.writer.exclusive(async () => {
      const state = await this.requireRoom(roomId, true);
      if (expect) {
        const now = state.get("m.room.member", target)?.content.membership ?? "leave";
        if (expect === "ban" && now !== "ban") throw forbidden(`${target} is not banned.`);
        if (expect === "join_or_invite" && now !== "join" && now !== "invite") throw forbidden(`${target} is not in the room.`);
      }
      await this.writer.append(roomId, [{ type: "m.room.member", sender: actor.userId, state_key: target, content }]);
    });
  }

  private async profileContent(userId: UserId): Promise<Record<string, unknown>> {
    const p = await this.profiles(userId);
    return { ...(p?.displayname && { displayname: p.displayname }), ...(p?.avatarUrl && { avatar_url: p.avatarUrl }) };
  }

  private async requireRoom(roomId: RoomId, missingIs404: boolean): Promise<RoomState> {
    const state = await this.writer.state(roomId);
    if (!state) throw missingIs404 ? notFound("No such room.") : forbidden("You are not in this room.");
    return state;
  }

  // --- reads ---

  joinedRooms(userId: UserId): RoomId[] {
    return [...this.membership.roomsOf(userId)];
  }

  /** The newest stream ordering the user may see in the room; 403 when none. */
  async visibleUpTo(userId: UserId, roomId: RoomId): Promise<{ upTo: number; state: RoomState }> {
    const state = await this.writer.state(roomId);
    if (!state) throw forbidden("You are not in this room.");
    if (this.membership.isJoined(roomId, userId)) return { upTo: this.writer.latest(), state };
    const m = state.get("m.room.member", userId);
    // A former member sees history up to their leaving.
    if (m && (m.content.membership === "leave" || m.content.membership === "ban")) return { upTo: m.streamOrdering, state };
    if (state.get("m.room.history_visibility", "")?.content.history_visibility === "world_readable") return { upTo: this.writer.latest(), state };
    throw forbidden("You are not in this room.");
  }

  /** Current state (as of leaving, for a former member). */
  async stateEvents(userId: UserId, roomId: RoomId): Promise<RoomEvent[]> {
    const { upTo, state } = await this.visibleUpTo(userId, roomId);
    return state.events().filter((e) => e.streamOrdering <= upTo);
  }

  async stateEvent(userId: UserId, roomId: RoomId, type: string, stateKey: string): Promise<RoomEvent> {
    const { upTo, state } = await this.visibleUpTo(userId, roomId);
    const e = state.get(type, stateKey);
    if (!e || e.streamOrdering > upTo) throw notFound("Event not found.");
    return e;
  }

  async getEvent(userId: UserId, roomId: RoomId, eventId: string): Promise<RoomEvent> {
    const { upTo } = await this.visibleUpTo(userId, roomId);
    const e = await this.store.getEvent(eventId);
    if (!e || e.room_id !== roomId || e.streamOrdering > upTo) throw notFound("Event not found.");
    return e;
  }

  /** Paginates a room's timeline; `from`/`to` are positions (see room-token). */
  async messages(
    userId: UserId,
    roomId: RoomId,
    q: { from?: number; to?: number; dir: "b" | "f"; limit: number; filter?: EventFilter & { lazy_load_members?: boolean } },
  ): Promise<{ chunk: RoomEvent[]; start: string; end?: string; state: RoomEvent[] }> {
    const { upTo, state } = await this.visibleUpTo(userId, roomId);
    const limit = Math.max(1, Math.min(q.limit, 1000));
    const chunk: RoomEvent[] = [];
    let cursor = q.dir === "b" ? Math.min(q.from ?? upTo, upTo) : (q.from ?? 0);
    const start = cursor;
    const bound = q.dir === "b" ? q.to : Math.min(q.to ?? upTo, upTo);
    let exhausted = false;
    while (chunk.length < limit && !exhausted) {
      const batch = await this.store.roomEvents(roomId, { from: cursor, dir: q.dir, limit: limit * 2, ...(bound !== undefined && { bound }) });
      if (batch.length < limit * 2) exhausted = true;
      for (const e of batch) {
        cursor = q.dir === "b" ? e.streamOrdering - 1 : e.streamOrdering;
        if (eventMatches(q.filter, e)) chunk.push(e);
        if (chunk.length >= limit) break;
      }
      if (batch.length === 0) exhausted = true;
    }
    const members = q.filter?.lazy_load_members ? this.membersOf(state, chunk) : [];
    return { chunk, start: roomToken(start), ...(!(exhausted && chunk.length < limit) && { end: roomToken(cursor) }), state: members };
  }

  async context(
    userId: UserId,
    roomId: RoomId,
    eventId: string,
    limit: number,
    filter?: EventFilter & { lazy_load_members?: boolean },
  ): Promise<{ event: RoomEvent; before: RoomEvent[]; after: RoomEvent[]; start: string; end: string; state: RoomEvent[] }> {
    const event = await this.getEvent(userId, roomId, eventId);
    const { upTo, state } = await this.visibleUpTo(userId, roomId);
    const half = Math.max(0, Math.min(limit, 100));
    const nBefore = Math.floor(half / 2);
    const before = nBefore > 0 ? (await this.store.roomEvents(roomId, { from: event.streamOrdering - 1, dir: "b", limit: nBefore })).filter((e) => eventMatches(filter, e)) : [];
    const after = half - nBefore > 0 ? (await this.store.roomEvents(roomId, { from: event.streamOrdering, dir: "f", limit: half - nBefore, bound: upTo })).filter((e) => eventMatches(filter, e)) : [];
    const first = before.length ? before[before.length - 1]! : event;
    const last = after.length ? after[after.length - 1]! : event;
    const stateEvents = filter?.lazy_load_members ? this.membersOf(state, [event, ...before, ...after]) : state.events().filter((e) => e.streamOrdering <= upTo);
    return { event, before, after, start: roomToken(first.streamOrdering - 1), end: roomToken(last.streamOrdering), state: stateEvents };
  }

  private membersOf(state: RoomState, events: RoomEvent[]): RoomEvent[] {
    const out: RoomEvent[] = [];
    for (const s of new Set(events.map((e) => e.sender))) {
      const m = state.get("m.room.member", s);
      if (m) out.push(m);
    }
    return out;
  }

  // --- aliases and directory ---

  async resolveAlias(alias: string): Promise<RoomId> {
    const a = await this.store.getAlias(alias);
    if (!a) throw notFound(`Room alias ${alias} not found.`);
    return a.roomId;
  }

  async putAlias(actor: Actor, alias: string, roomId: RoomId): Promise<void> {
    if (serverOf(alias) !== this.serverName) throw invalidParam("The alias must be on this server.");
    if (!(await this.writer.state(roomId))) throw notFound("No such room.");
    if (!(await this.store.putAlias(alias, roomId, actor.userId))) throw new MatrixError(409, "M_UNKNOWN", "Room alias already exists.");
  }

  async deleteAlias(actor: Actor, alias: string): Promise<void> {
    const a = await this.store.getAlias(alias);
    if (!a) throw notFound(`Room alias ${alias} not found.`);
    if (a.creator !== actor.userId && !actor.isAdmin) {
      const state = await this.writer.state(a.roomId);
      const allowed = state && this.membership.isJoined(a.roomId, actor.userId) && powerLevelOf(state, actor.userId) >= eventLevel(state, "m.room.canonical_alias", true);
      if (!allowed) throw forbidden("You may not delete this alias.");
    }
    await this.store.deleteAlias(alias);
  }

  async aliasesOf(userId: UserId, roomId: RoomId): Promise<string[]> {
    await this.visibleUpTo(userId, roomId);
    return this.store.aliasesOf(roomId);
  }

  async setVisibility(actor: Actor, roomId: RoomId, visibility: "public" | "private"): Promise<void> {
    const state = await this.writer.state(roomId);
    if (!state) throw notFound("No such room.");
    if (!this.membership.isJoined(roomId, actor.userId) || powerLevelOf(state, actor.userId) < actionLevel(state, "kick")) {
      if (!actor.isAdmin) throw forbidden("You may not change this room's visibility.");
    }
    await this.store.setRoomPublic(roomId, visibility === "public");
  }

  async visibility(roomId: RoomId): Promise<"public" | "private"> {
    const room = await this.store.getRoom(roomId);
    if (!room) throw notFound("No such room.");
    return room.isPublic ? "public" : "private";
  }

  /** The published rooms with their summary fields. */
  async publicRooms(): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (const room of await this.store.publicRooms()) {
      const state = await this.writer.state(room.roomId);
      if (!state) continue;
      out.push(roomSummary(room.roomId, state, this.membership.joinedMembers(room.roomId).size));
    }
    return out;
  }

  /** A state lookup for other services (typing/receipts need membership checks); null when no room. */
  roomState(roomId: RoomId): Promise<RoomState | null> {
    return this.writer.state(roomId);
  }
}
