import { forbidden, invalidParam, parseRoomId, type RoomId, type UserId } from "@axon/protocol";
import type { MembershipIndex } from "../rooms/membership-index";
import type { RoomService } from "../rooms/room-service";
import { roomSummary, stateString } from "../rooms/room-summary";
import type { RoomState } from "../rooms/room-writer";

export interface HierarchyQuery {
  limit: number;
  maxDepth: number;
  suggestedOnly: boolean;
  from?: string;
}

/** The deepest a walk goes, whatever the client asks. */
const MAX_DEPTH = 10;

/**
 * GET /rooms/{roomId}/hierarchy: the space and its children (m.space.child with a `via`), breadth
 * first, each room once, only rooms the requester may see (joined, public or world-readable). The
 * pagination token is the offset plus the walk's settings, so any process can continue it.
 */
export class SpaceHierarchy {
  constructor(
    private readonly rooms: RoomService,
    private readonly membership: MembershipIndex,
  ) {}

  async walk(userId: UserId, rootId: RoomId, q: HierarchyQuery): Promise<{ rooms: Record<string, unknown>[]; next_batch?: string }> {
    const maxDepth = Math.min(q.maxDepth, MAX_DEPTH);
    const settings = `${maxDepth}.${q.suggestedOnly ? 1 : 0}`;
    let offset = 0;
    if (q.from !== undefined) {
      const m = /^(\d+)\.(\d+\.[01])$/.exec(q.from);
      if (!m) throw invalidParam("Unknown 'from' token.");
      if (m[2] !== settings) throw invalidParam("suggested_only and max_depth cannot change while paginating.");
      offset = Number(m[1]);
    }
    const root = await this.rooms.roomState(rootId);
    if (!root || !this.canSee(userId, rootId, root)) throw forbidden("You cannot see this room.");

    const out: Record<string, unknown>[] = [];
    const seen = new Set<string>([rootId]);
    let queue: { id: RoomId; state: RoomState }[] = [{ id: rootId, state: root }];
    for (let depth = 0; queue.length > 0; depth++) {
      const next: { id: RoomId; state: RoomState }[] = [];
      for (const { id, state } of queue) {
        const children = this.children(state, q.suggestedOnly);
        out.push({ ...roomSummary(id, state, this.membership.joinedMembers(id).size), ...roomType(state), children_state: children.map((c) => c.stripped) });
        if (depth >= maxDepth) continue;
        for (const child of children) {
          if (seen.has(child.roomId)) continue;
          seen.add(child.roomId);
          const childState = await this.rooms.roomState(child.roomId);
          if (childState && this.canSee(userId, child.roomId, childState)) next.push({ id: child.roomId, state: childState });
        }
      }
      queue = next;
    }
    const page = out.slice(offset, offset + q.limit);
    const end = offset + page.length;
    return { rooms: page, ...(end < out.length && { next_batch: `${end}.${settings}` }) };
  }

  private canSee(userId: UserId, roomId: RoomId, state: RoomState): boolean {
    if (this.membership.isJoined(roomId, userId)) return true;
    if (state.get("m.room.member", userId)?.content.membership === "ban") return false;
    const joinRule = stateString(state, "m.room.join_rules", "join_rule");
    return joinRule === "public" || joinRule === "knock" || stateString(state, "m.room.history_visibility", "history_visibility") === "world_readable";
  }

  private children(state: RoomState, suggestedOnly: boolean): { roomId: RoomId; stripped: Record<string, unknown> }[] {
    const out: { roomId: RoomId; stripped: Record<string, unknown>; order: string }[] = [];
    for (const e of state.byKey.values()) {
      if (e.type !== "m.space.child" || e.state_key === undefined) continue;
      const via = e.content.via;
      if (!Array.isArray(via) || via.length === 0) continue;
      if (suggestedOnly && e.content.suggested !== true) continue;
      const roomId = parseRoomId(e.state_key);
      if (!roomId) continue;
      const order = typeof e.content.order === "string" ? e.content.order : "\uffff";
      out.push({ roomId, order, stripped: { type: e.type, state_key: e.state_key, content: e.content, sender: e.sender, origin_server_ts: e.origin_server_ts } });
    }
    return out.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : a.roomId < b.roomId ? -1 : 1));
  }
}

function roomType(state: RoomState): Record<string, unknown> {
  const t = state.get("m.room.create", "")?.content.type;
  return typeof t === "string" ? { room_type: t } : {};
}
