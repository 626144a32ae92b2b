import type { PresenceState, UserId } from "@axon/protocol";

/** A user's presence as published at one stream position. */
export interface PresenceSnapshot {
  userId: UserId;
  state: PresenceState;
  statusMsg: string | null;
  /** When the explicit choice ends, if it has an end. */
  expiresAt: number | null;
}

interface Entry {
  pos: number;
  snap: PresenceSnapshot;
}

interface Inbox {
  entries: Entry[];
  /** Entries at or before this position were dropped: a sync from before it gets a full snapshot instead. */
  trimmedTo: number;
}

/** Enough for a client that misses a few minutes of a busy room; past it, a sync falls back to a snapshot. */
const INBOX_MAX = 256;

/**
 * The presence stream. Each change is fanned out on write to the inbox of every user who can
 * see it (the audience comes from the in-memory membership index), so an incremental /sync
 * reads only its own inbox: O(changes visible to it since its token), never O(users).
 * Entries share the snapshot object, so a change seen by 60 watchers costs 60 small pushes.
 */
export class PresenceFeed {
  private pos: number;
  /** Reads from before this position return null: what changed before it is not in memory. */
  private floor: number;
  /** Changes published and entries pushed into inboxes (the fan-out) since start, for metrics. */
  private changes = 0;
  private delivered = 0;
  private readonly inboxes = new Map<UserId, Inbox>();

  /**
   * `start`: the first position, above any issued before a restart so that clients' tokens stay
   * valid; the service seeds it with wall-clock milliseconds (changes are far rarer than one per ms).
   */
  constructor(start = 0) {
    this.pos = start;
    this.floor = start;
  }

  latest(): number {
    return this.pos;
  }

  /** Appends the snapshot to each watcher's inbox at a new position; returns the position. */
  publish(snap: PresenceSnapshot, watchers: Iterable<UserId>): number {
    return this.publishAt(this.pos + 1, snap, watchers);
  }

  /**
   * `publish` at a position chosen elsewhere (a cluster follower replays the owner's stream at the
   * owner's positions); `pos` must be above latest(). Returns it.
   */
  publishAt(pos: number, snap: PresenceSnapshot, watchers: Iterable<UserId>): number {
    if (!(pos > this.pos)) throw new Error(`presence feed: position ${pos} is not after ${this.pos}`);
    this.pos = pos;
    this.changes++;
    const entry = { pos, snap };
    let n = 0;
    for (const w of watchers) {
      n++;
      let inbox = this.inboxes.get(w);
      if (!inbox) this.inboxes.set(w, (inbox = { entries: [], trimmedTo: 0 }));
      inbox.entries.push(entry);
      if (inbox.entries.length > INBOX_MAX) {
        const drop = inbox.entries.length - INBOX_MAX / 2;
        inbox.trimmedTo = inbox.entries[drop - 1]!.pos;
        inbox.entries.splice(0, drop);
      }
    }
    this.delivered += n;
    return pos;
  }

  /** Moves latest() to `pos` (not backwards) with nothing published there (a cluster resync's mark). */
  skipTo(pos: number): void {
    if (!(pos >= this.pos)) throw new Error(`presence feed: position ${pos} is before ${this.pos}`);
    this.pos = pos;
  }

  /**
   * Starts over at `pos`: latest() becomes `pos`, every inbox is dropped, and reads from before
   * `pos` return null (the caller answers them with a full snapshot). For a cluster process whose
   * copy of the stream had a gap, or that takes over as owner. The caller makes sure no position
   * above `pos` was handed out before.
   */
  resetAt(pos: number): void {
    this.pos = pos;
    this.floor = pos;
    this.inboxes.clear();
  }

  /** Changes published and deliveries made since start (metrics read these when scraped). */
  totals(): { changes: number; deliveries: number } {
    return { changes: this.changes, deliveries: this.delivered };
  }

  /**
   * The latest snapshot per user published to `watcher` in (from, to], oldest first;
   * null when the inbox no longer reaches back to `from`.
   */
  read(watcher: UserId, from: number, to: number): PresenceSnapshot[] | null {
    // A token from before this process started (or before a reset): what changed meanwhile is not in memory.
    if (from < this.floor) return null;
    const inbox = this.inboxes.get(watcher);
    if (!inbox) return [];
    if (from < inbox.trimmedTo) return null;
    const { entries } = inbox;
    // Entries are in position order: binary-search the first one after `from`.
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid]!.pos <= from) lo = mid + 1;
      else hi = mid;
    }
    // Nothing new (every long-poll's first look): no map, no copy.
    if (lo >= entries.length || entries[lo]!.pos > to) return [];
    const latest = new Map<UserId, PresenceSnapshot>();
    for (let i = lo; i < entries.length && entries[i]!.pos <= to; i++) {
      const snap = entries[i]!.snap;
      latest.delete(snap.userId);
      latest.set(snap.userId, snap);
    }
    return [...latest.values()];
  }

  /** Drops a watcher's inbox (its user is gone). */
  forget(watcher: UserId): void {
    this.inboxes.delete(watcher);
  }
}
