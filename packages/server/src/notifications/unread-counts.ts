/** The counts a joined room shows in /sync. */
export interface UnreadCounts {
  notification_count: number;
  highlight_count: number;
}

/** One (user, room): the notifying events after the read marker, oldest first. */
interface RoomUnread {
  /** Stream orderings of the unread notifying events, ascending. */
  orderings: number[];
  /** Which of them highlight (parallel to orderings). */
  highlights: boolean[];
  highlightCount: number;
  /** The newest stream ordering the user has read (their m.read / m.read.private receipt), 0 when none. */
  readUpTo: number;
}

const ZERO: Readonly<UnreadCounts> = Object.freeze({ notification_count: 0, highlight_count: 0 });

/**
 * Exact unread notification counts per (user, room), in memory: fed by each notifying event as it is
 * persisted and cut back by the user's read receipts. All operations are synchronous; a receipt costs
 * O(log n + events it marks read).
 */
export class UnreadCounter {
  private readonly byUser = new Map<string, Map<string, RoomUnread>>();

  private entry(userId: string, roomId: string): RoomUnread {
    let rooms = this.byUser.get(userId);
    if (!rooms) this.byUser.set(userId, (rooms = new Map()));
    let e = rooms.get(roomId);
    if (!e) rooms.set(roomId, (e = { orderings: [], highlights: [], highlightCount: 0, readUpTo: 0 }));
    return e;
  }

  /** A notifying event; ignored when the user has already read past it. Orderings arrive ascending per room. */
  add(userId: string, roomId: string, ordering: number, highlight: boolean): void {
    const e = this.entry(userId, roomId);
    if (ordering <= e.readUpTo) return;
    const last = e.orderings.length > 0 ? e.orderings[e.orderings.length - 1]! : 0;
    if (ordering <= last) {
      // Out of order (only at start-up, when rows may come in any order): insert in place.
      const at = firstAbove(e.orderings, ordering - 1);
      if (e.orderings[at] === ordering) return;
      e.orderings.splice(at, 0, ordering);
      e.highlights.splice(at, 0, highlight);
    } else {
      e.orderings.push(ordering);
      e.highlights.push(highlight);
    }
    if (highlight) e.highlightCount++;
  }

  /** The user has read up to this stream ordering; an older receipt changes nothing. */
  read(userId: string, roomId: string, ordering: number): void {
    const e = this.entry(userId, roomId);
    if (ordering <= e.readUpTo) return;
    e.readUpTo = ordering;
    const cut = firstAbove(e.orderings, ordering);
    if (cut === 0) return;
    for (let i = 0; i < cut; i++) if (e.highlights[i]) e.highlightCount--;
    e.orderings.splice(0, cut);
    e.highlights.splice(0, cut);
  }

  counts(userId: string, roomId: string): Readonly<UnreadCounts> {
    const e = this.byUser.get(userId)?.get(roomId);
    if (!e || e.orderings.length === 0) return ZERO;
    return { notification_count: e.orderings.length, highlight_count: e.highlightCount };
  }

  /** The stream ordering the user has read up to in the room (0: nothing read). */
  readUpTo(userId: string, roomId: string): number {
    return this.byUser.get(userId)?.get(roomId)?.readUpTo ?? 0;
  }
}

/** The index of the first element greater than `value` in an ascending array. */
function firstAbove(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
