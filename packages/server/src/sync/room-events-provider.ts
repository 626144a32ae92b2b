import type { RoomId, UserId } from "@axon/protocol";
import type { Clock } from "../clock";
import type { BundledAggregations, Bundles } from "../relations/aggregations";
import type { MembershipIndex } from "../rooms/membership-index";
import { clientEvent, strippedEvent, type RoomEvent } from "../rooms/room-event";
import { eventMatches } from "../rooms/room-service";
import type { RecentEvents } from "../rooms/recent-events";
import type { MembershipRecord, RoomStore } from "../rooms/room-store";
import { roomToken } from "../rooms/room-token";
import type { RoomState, RoomWriter } from "../rooms/room-writer";
import type { StreamProvider, SyncRequest, SyncResponse } from "./stream-provider";
import { roomAllowed, roomEntry } from "./sync-response";
import { UserPositions } from "./user-positions";

const DEFAULT_TIMELINE_LIMIT = 10;
const NO_BUNDLES: Bundles = new Map();
/** Most events one incremental sync reads; beyond it, rooms are marked limited and clients paginate. */
const MAX_INCREMENTAL_EVENTS = 2000;
const INVITE_STATE_TYPES = ["m.room.create", "m.room.join_rules", "m.room.name", "m.room.avatar", "m.room.canonical_alias", "m.room.encryption", "m.room.topic"];

/** Room timelines, state and the user's memberships (join / invite / leave sections). */
export class RoomEventsProvider implements StreamProvider {
  readonly key = "events";
  private readonly positions = new UserPositions();

  constructor(
    private readonly store: RoomStore,
    private readonly writer: RoomWriter,
    private readonly recent: RecentEvents,
    private readonly membership: MembershipIndex,
    private readonly clock: Clock,
    private readonly aggregations: Pick<BundledAggregations, "forEvents">,
  ) {
    writer.onEvent((e, audience) => this.positions.bump(audience, e.streamOrdering));
  }

  /** After the writer has started. */
  start(): void {
    this.positions.setFloor(this.writer.latest());
  }

  latest(): number {
    return this.writer.latest();
  }

  fill(req: SyncRequest, from: number | null, to: number, res: SyncResponse): boolean | Promise<boolean> {
    if (!req.fullState && !this.positions.changedSince(req.userId, from)) return false;
    return this.fillRooms(req, from, to, res);
  }

  private async fillRooms(req: SyncRequest, from: number | null, to: number, res: SyncResponse): Promise<boolean> {
    const f = req.filter.room;
    const limit = f?.timeline?.limit ?? DEFAULT_TIMELINE_LIMIT;
    let any = false;
    const handled = new Set<RoomId>();
    const memberships = await this.store.membershipsOf(req.userId, from ?? undefined);
    for (const m of memberships) {
      // Changes after `to` belong to the next sync.
      if (m.streamOrdering > to || !roomAllowed(req.filter, m.roomId)) continue;
      handled.add(m.roomId);
      if (m.membership === "join") {
        await this.wholeRoom(req, "join", m.roomId, to, limit, res);
        any = true;
      } else if (m.membership === "invite") {
        any = (await this.invite(req, m, res)) || any;
      } else if (m.membership === "leave" || m.membership === "ban") {
        // An initial sync shows left rooms only when asked; an incremental one always shows a new leave.
        if (from === null && !f?.include_leave) continue;
        await this.wholeRoom(req, "leave", m.roomId, m.streamOrdering, limit, res);
        any = true;
      }
    }
    if (from === null) return any;

    const joined = [...this.membership.roomsOf(req.userId)].filter((r) => !handled.has(r) && roomAllowed(req.filter, r));
    if (req.fullState) {
      for (const r of joined) await this.wholeRoom(req, "join", r, to, limit, res);
      return any || joined.length > 0;
    }
    const recent = await this.store.eventsInRooms(joined, from, to, MAX_INCREMENTAL_EVENTS);
    const capped = recent.length >= MAX_INCREMENTAL_EVENTS;
    const byRoom = new Map<RoomId, RoomEvent[]>();
    for (const e of recent) {
      const list = byRoom.get(e.room_id as RoomId) ?? [];
      list.push(e);
      byRoom.set(e.room_id as RoomId, list);
    }
    for (const [roomId, newestFirst] of byRoom) {
      const limited = capped || newestFirst.length > limit;
      const timeline = newestFirst.slice(0, limit).reverse();
      const state = limited ? await this.writer.state(roomId) : null;
      const bundles = this.bundles(req, timeline);
      this.putRoom(req, "join", roomId, timeline, limited, state, to, res, bundles instanceof Promise ? await bundles : bundles);
      // A membership change: counts and heroes changed, though the state is not sent again.
      const memberState = !limited && timeline.some((e) => e.type === "m.room.member") ? await this.writer.state(roomId) : null;
      if (memberState) roomEntry(res, "join", roomId).summary = summaryOf(memberState, req.userId as UserId);
      any = true;
    }
    return any;
  }

  /** A room in full: the latest `limit` events up to `upTo`, and the state before them. */
  private async wholeRoom(req: SyncRequest, kind: "join" | "leave", roomId: RoomId, upTo: number, limit: number, res: SyncResponse): Promise<void> {
    const events = await this.recent.latest(roomId, upTo, limit + 1);
    const limited = events.length > limit;
    const timeline = events.slice(0, limit).reverse();
    const bundles = this.bundles(req, timeline);
    this.putRoom(req, kind, roomId, timeline, limited, await this.writer.state(roomId), upTo, res, bundles instanceof Promise ? await bundles : bundles);
  }

  /** Bundled aggregations, looked up only when an event of the timeline has relations (rare: no await otherwise). */
  private bundles(req: SyncRequest, timeline: RoomEvent[]): Bundles | Promise<Bundles> {
    if (!timeline.some((e) => e.hasRelations === true)) return NO_BUNDLES;
    return this.aggregations.forEvents(timeline, { userId: req.userId, deviceId: req.deviceId });
  }

  private putRoom(
    req: SyncRequest,
    kind: "join" | "leave",
    roomId: RoomId,
    timeline: RoomEvent[],
    limited: boolean,
    state: RoomState | null,
    upTo: number,
    res: SyncResponse,
    bundles: Bundles,
  ): void {
    const now = this.clock.now();
    const viewer = { userId: req.userId, deviceId: req.deviceId };
    const f = req.filter.room;
    const entry = roomEntry(res, kind, roomId);
    const shown = roomAllowed(req.filter, roomId, f?.timeline) ? timeline.filter((e) => eventMatches(f?.timeline, e)) : [];
    const first = timeline[0];
    entry.timeline = {
      events: shown.map((e) => clientEvent(e, now, viewer, bundles.get(e.event_id))),
      limited,
      prev_batch: roomToken(first ? first.streamOrdering - 1 : upTo),
    };
    const inTimeline = new Set(timeline.map((e) => e.event_id));
    const stateFilter = f?.state;
    let stateEvents: RoomEvent[] = [];
    if (state && roomAllowed(req.filter, roomId, stateFilter)) {
      const senders = new Set<string>([req.userId, ...timeline.map((e) => e.sender)]);
      stateEvents = state
        .events()
        .filter((e) => e.streamOrdering <= upTo && !inTimeline.has(e.event_id) && eventMatches(stateFilter, e))
        .filter((e) => !stateFilter?.lazy_load_members || e.type !== "m.room.member" || senders.has(e.state_key ?? ""));
    }
    entry.state = { events: stateEvents.map((e) => clientEvent(e, now, viewer)) };
    if (kind === "join" && state) entry.summary = summaryOf(state, req.userId as UserId);
  }

  private async invite(req: SyncRequest, m: MembershipRecord, res: SyncResponse): Promise<boolean> {
    const state = await this.writer.state(m.roomId);
    if (!state) return false;
    const stripped = INVITE_STATE_TYPES.map((t) => state.get(t, "")).filter((e): e is RoomEvent => e !== undefined);
    const invite = state.get("m.room.member", req.userId);
    if (invite) {
      const inviter = state.get("m.room.member", invite.sender);
      if (inviter && inviter !== invite) stripped.push(inviter);
      stripped.push(invite);
    }
    const entry = roomEntry(res, "invite", m.roomId);
    entry.invite_state = {
      events: stripped.map((e) => (e === invite ? { ...strippedEvent(e), event_id: e.event_id, origin_server_ts: e.origin_server_ts } : strippedEvent(e))),
    };
    return true;
  }
}

function summaryOf(state: RoomState, me: UserId): Record<string, unknown> {
  let joined = 0;
  let invited = 0;
  const heroes: string[] = [];
  for (const e of state.events()) {
    if (e.type !== "m.room.member") continue;
    const m = e.content.membership;
    if (m === "join") joined++;
    else if (m === "invite") invited++;
    if ((m === "join" || m === "invite") && e.state_key !== me && heroes.length < 5) heroes.push(e.state_key ?? "");
  }
  return { "m.heroes": heroes, "m.joined_member_count": joined, "m.invited_member_count": invited };
}
