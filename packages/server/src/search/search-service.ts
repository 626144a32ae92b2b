import { invalidParam, type RoomId, type UserId } from "@axon/protocol";
import type { BundledAggregations, Viewer } from "../relations/aggregations";
import { clientEvent, type RoomEvent } from "../rooms/room-event";
import type { ProfileLookup, RoomService } from "../rooms/room-service";
import type { RoomStore } from "../rooms/room-store";
import type { Clock } from "../clock";
import { searchWords, type SearchKey, type SearchStore } from "./search-store";

export interface RoomEventsCriteria {
  search_term: string;
  keys?: SearchKey[];
  filter?: { rooms?: string[]; not_rooms?: string[]; limit?: number };
  order_by?: "rank" | "recent";
  event_context?: { before_limit?: number; after_limit?: number; include_profile?: boolean };
  include_state?: boolean;
}

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

/** POST /search, room_events: full-text search over the rooms the searcher is joined to. */
export class SearchService {
  constructor(
    private readonly store: SearchStore,
    private readonly rooms: RoomService,
    private readonly aggregations: BundledAggregations,
    private readonly events: Pick<RoomStore, "getEvents">,
    private readonly profiles: ProfileLookup,
    private readonly clock: Clock,
  ) {}

  async roomEvents(viewer: Viewer, c: RoomEventsCriteria, nextBatch: string | undefined): Promise<Record<string, unknown>> {
    let offset = 0;
    if (nextBatch !== undefined) {
      const m = /^o(\d{1,9})$/.exec(nextBatch);
      if (!m) throw invalidParam("Unknown 'next_batch'.");
      offset = Number(m[1]);
    }
    const userId = viewer.userId as UserId;
    const wanted = c.filter?.rooms ? new Set(c.filter.rooms) : null;
    const unwanted = new Set(c.filter?.not_rooms ?? []);
    const rooms = this.rooms.joinedRooms(userId).filter((r) => (!wanted || wanted.has(r)) && !unwanted.has(r));
    const words = searchWords(c.search_term);
    const limit = Math.min(c.filter?.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
    const keys = c.keys ?? ["content.body", "content.name", "content.topic"];
    const { count, hits } = await this.store.search({ rooms, words, keys, order: c.order_by ?? "rank", offset, limit });
    const byId = new Map((await this.events.getEvents(hits.map((h) => h.eventId))).map((e) => [e.event_id, e]));
    const found = hits.flatMap((h) => {
      const e = byId.get(h.eventId);
      return e ? [{ hit: h, event: e }] : [];
    });
    const presented = await this.aggregations.present(
      found.map((f) => f.event),
      viewer,
    );
    const results = [];
    for (const [i, f] of found.entries()) {
      results.push({
        rank: f.hit.rank,
        result: presented[i],
        ...(c.event_context && { context: await this.context(viewer, f.event, c.event_context) }),
      });
    }
    const state: Record<string, unknown> = {};
    if (c.include_state) {
      for (const roomId of new Set(found.map((f) => f.event.room_id as RoomId))) {
        state[roomId] = (await this.rooms.stateEvents(userId, roomId)).map((e) => clientEvent(e, this.clock.now(), viewer));
      }
    }
    return {
      count,
      results,
      highlights: words,
      ...(offset + hits.length < count && { next_batch: `o${offset + hits.length}` }),
      ...(c.include_state && { state }),
    };
  }

  private async context(viewer: Viewer, e: RoomEvent, opts: NonNullable<RoomEventsCriteria["event_context"]>): Promise<Record<string, unknown>> {
    const beforeLimit = Math.min(opts.before_limit ?? 5, 50);
    const afterLimit = Math.min(opts.after_limit ?? 5, 50);
    const c = await this.rooms.context(viewer.userId as UserId, e.room_id as RoomId, e.event_id, 2 * Math.max(beforeLimit, afterLimit));
    const now = this.clock.now();
    const before = c.before.slice(0, beforeLimit);
    const after = c.after.slice(0, afterLimit);
    const out: Record<string, unknown> = {
      events_before: before.map((x) => clientEvent(x, now, viewer)),
      events_after: after.map((x) => clientEvent(x, now, viewer)),
      start: c.start,
      end: c.end,
    };
    if (opts.include_profile) {
      const info: Record<string, unknown> = {};
      for (const sender of new Set([e, ...before, ...after].map((x) => x.sender))) {
        const p = await this.profiles(sender as UserId);
        if (p) info[sender] = { ...(p.displayname !== null && { displayname: p.displayname }), ...(p.avatarUrl !== null && { avatar_url: p.avatarUrl }) };
      }
      out.profile_info = info;
    }
    return out;
  }
}
