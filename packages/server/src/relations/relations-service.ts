import { MatrixError, notFound, type RoomId, type UserId } from "@axon/protocol";
import type { RoomEvent } from "../rooms/room-event";
import type { RoomService } from "../rooms/room-service";
import type { RoomStore } from "../rooms/room-store";
import { roomToken } from "../rooms/room-token";
import type { BundledAggregations, Viewer } from "./aggregations";
import type { RelationsStore } from "./relations-store";

/** How deep `recurse` follows relations of relations. */
export const RECURSION_DEPTH = 3;

export interface RelationsQuery {
  relType?: string;
  eventType?: string;
  from?: number;
  to?: number;
  dir: "b" | "f";
  limit: number;
  recurse: boolean;
}

/** GET /relations/{eventId}[/{relType}[/{eventType}]] and GET /threads, within what the requester may see. */
export class RelationsService {
  constructor(
    private readonly store: RelationsStore,
    private readonly rooms: RoomService,
    private readonly aggregations: BundledAggregations,
    private readonly events: Pick<RoomStore, "getEvents">,
  ) {}

  async relations(viewer: Viewer, roomId: RoomId, eventId: string, q: RelationsQuery): Promise<Record<string, unknown>> {
    const upTo = await this.visibleParent(viewer.userId as UserId, roomId, eventId);
    const parents = [eventId];
    if (q.recurse) {
      let level = [eventId];
      for (let depth = 1; depth < RECURSION_DEPTH && level.length > 0; depth++) {
        level = await this.store.childIds(level);
        parents.push(...level);
      }
    }
    const chunk = await this.store.children(roomId, parents, { ...q, upTo });
    const last = chunk[chunk.length - 1];
    return {
      chunk: await this.aggregations.present(chunk, viewer),
      ...(chunk.length === q.limit && last && { next_batch: roomToken(q.dir === "b" ? last.streamOrdering - 1 : last.streamOrdering) }),
      ...(q.from !== undefined && { prev_batch: roomToken(q.from) }),
      ...(q.recurse && { recursion_depth: RECURSION_DEPTH }),
    };
  }

  async threads(viewer: Viewer, roomId: RoomId, q: { participatedOnly: boolean; from?: number; limit: number }): Promise<Record<string, unknown>> {
    const { upTo } = await this.rooms.visibleUpTo(viewer.userId as UserId, roomId);
    const roots = await this.store.threadRoots(roomId, {
      before: Math.min(q.from ?? upTo, upTo),
      limit: q.limit,
      ...(q.participatedOnly && { participant: viewer.userId }),
    });
    const byId = new Map((await this.events.getEvents(roots.map((r) => r.rootId))).map((e) => [e.event_id, e]));
    const events = roots.map((r) => byId.get(r.rootId)).filter((e): e is RoomEvent => e !== undefined && e.room_id === roomId && e.streamOrdering <= upTo);
    const last = roots[roots.length - 1];
    return {
      chunk: await this.aggregations.present(events, viewer),
      ...(roots.length === q.limit && last && { next_batch: roomToken(last.latest - 1) }),
    };
  }

  /** The newest position the requester sees; the parent must be one of the events they see (else 404). */
  private async visibleParent(userId: UserId, roomId: RoomId, eventId: string): Promise<number> {
    try {
      await this.rooms.getEvent(userId, roomId, eventId);
      return (await this.rooms.visibleUpTo(userId, roomId)).upTo;
    } catch (err) {
      if (err instanceof MatrixError && err.status === 403) throw notFound("Event not found.");
      throw err;
    }
  }
}
