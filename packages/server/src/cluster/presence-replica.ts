// A follower's copy of the owner's presence stream (see presence-cluster.ts for the whole design).
//
// Each change from the owner is applied to this process's feed at the owner's position, so tokens
// mean the same on every process, and wakes this process's long-polls. The bus may lose messages:
// a change whose prevP is not our latest position, an owner heartbeat ahead of us, a new owner
// epoch, or a bus reconnect means we may have missed changes. Then we stop applying (buffering what
// arrives) and resync:
//
//   1. we ask the owner ("resync"); it takes a fresh position F with nothing in it (a "mark", on
//      the chain so nobody else sees a gap), commits every pending presence row, and answers
//      "flushed F": the table now holds every change up to F;
//   2. we reload the presence table, start the feed over at F (feed.resetAt: a sync whose token is
//      before F gets the full snapshot of its audience, as after a restart), and apply the buffered
//      changes after F.
//
// Why the table and not a snapshot over the bus: the table has every user already, a snapshot of
// all users would be one large pub/sub message to every process (Redis disconnects slow
// subscribers), and rows are written at most ~1 s late, which the owner's flush closes. The fresh
// position F matters: no token was ever handed out at or after it, so no client can hold a token
// that read partial data and still read past the gap.
import type { UserId } from "@axon/protocol";
import type { Logger } from "pino";
import type { Clock } from "../clock";
import type { PresenceFeed, PresenceSnapshot } from "../presence/presence-feed";
import type { PresenceStore, StoredPresence } from "../presence/presence-store";
import type { MembershipIndex } from "../rooms/membership-index";
import type { Notifier } from "../sync/notifier";
import type { ChainMessage, OutMessage } from "./presence-messages";
import { every } from "./presence-relay";

/** Where the replica writes: the follower's presence service (its feed and per-user values). */
export interface ReplicaTarget {
  readonly feed: PresenceFeed;
  /** Sets a user's published snapshot and last active; true when the snapshot differs from before. */
  set(snap: PresenceSnapshot, lastActiveAt: number | null): boolean;
  /** Raises a known user's last active. */
  touch(userId: UserId, lastActiveAt: number): void;
}

export interface ReplicaDeps {
  target: ReplicaTarget;
  store: PresenceStore;
  membership: MembershipIndex;
  notifier: Notifier;
  clock: Clock;
  log: Pick<Logger, "info" | "warn" | "error">;
  pid: string;
  /** Asks the owner for a resync. */
  requestResync(): void;
  /** The owner wants our device state (audit), or a new owner needs it. */
  sendState(): void;
  /** A resync not answered in this long is asked again (ms). */
  retryMs: number;
}

/** Changes buffered while resyncing, at most; past it they are dropped and the resync after F asks again. */
const BUFFER_MAX = 10_000;

export const snapshotOf = (row: StoredPresence): PresenceSnapshot => ({
  userId: row.userId,
  state: row.state,
  statusMsg: row.statusMsg,
  expiresAt: row.expiresAt,
});

export class PresenceReplica {
  /** The owner's epoch we follow (0: none seen yet). */
  private epoch = 0;
  /** Applying the stream as it comes (false while resyncing). */
  private live = false;
  private loading = false;
  private stopped = false;
  private buffer: ChainMessage[] = [];
  /** The highest position seen in any message (a follower taking over starts above it). */
  private seen = 0;
  private stopRetry: (() => void) | null = null;

  constructor(private readonly d: ReplicaDeps) {}

  get maxSeen(): number {
    return Math.max(this.seen, this.d.target.feed.latest());
  }

  get epochSeen(): number {
    return this.epoch;
  }

  get isLive(): boolean {
    return this.live;
  }

  /** Takes the table as the current presence (follower start-up: good enough until the first resync). */
  load(rows: StoredPresence[]): void {
    for (const row of rows) this.d.target.set(snapshotOf(row), row.lastActiveAt);
  }

  /** Starts following: asks the owner for a resync at once, and again every retryMs until live. */
  start(): void {
    this.stopRetry ??= every(this.d.clock, this.d.retryMs, () => {
      if (!this.live && !this.loading) this.d.requestResync();
    });
    this.d.requestResync();
  }

  /** Stops for good (close, or this process became the owner). */
  stop(): void {
    this.stopped = true;
    this.stopRetry?.();
    this.stopRetry = null;
    this.buffer = [];
  }

  /** Messages may have been lost (a bus reconnect, a gap): stop applying and resync. */
  lose(why: string): void {
    if (this.stopped) return;
    if (this.live) this.d.log.info({ why, at: this.d.target.feed.latest() }, "presence replica: resyncing");
    this.live = false;
    this.buffer = [];
    this.d.requestResync();
  }

  handle(m: OutMessage): void {
    if (this.stopped || m.epoch < this.epoch) return; // an old owner, not yet gone
    if ("p" in m) this.seen = Math.max(this.seen, m.p);
    if (m.epoch > this.epoch) {
      this.epoch = m.epoch;
      this.lose(`owner epoch ${m.epoch}`);
      this.d.sendState();
    }
    switch (m.t) {
      case "change":
      case "mark":
        if (!this.live) {
          if (this.buffer.length < BUFFER_MAX) this.buffer.push(m);
        } else if (m.prevP !== this.d.target.feed.latest()) {
          this.lose(`gap before ${m.p}`);
        } else {
          this.apply(m);
        }
        break;
      case "head":
        if (this.live && m.p > this.d.target.feed.latest()) this.lose(`owner at ${m.p}`);
        break;
      case "flushed":
        // An answer to an older request may come late: one not past what we applied is no catch-up point.
        if (m.pid === this.d.pid && !this.live && !this.loading && m.p > this.d.target.feed.latest()) void this.catchUp(m.p, m.epoch);
        break;
      case "active":
        for (const [user, at] of m.users) this.d.target.touch(user, at);
        break;
      case "audit":
        if (m.pid === null || m.pid === this.d.pid) this.d.sendState();
        break;
      case "epoch":
        break; // handled above
    }
  }

  private apply(m: ChainMessage): void {
    const { feed } = this.d.target;
    if (m.t === "mark") {
      feed.skipTo(m.p);
      return;
    }
    // A targeted change (people who just started sharing a room) re-sends a published snapshot: values stay.
    if (m.watchers === undefined) this.d.target.set(m.snap, m.lastActiveAt);
    const watchers = m.watchers ?? this.d.membership.audience(m.snap.userId);
    feed.publishAt(m.p, m.snap, watchers);
    this.d.notifier.wakeUsers(watchers);
  }

  /** Step 2 of a resync: the table holds every change up to `at`. */
  private async catchUp(at: number, epoch: number): Promise<void> {
    this.loading = true;
    let rows: StoredPresence[];
    try {
      rows = await this.d.store.loadAll();
    } catch (err) {
      this.d.log.error({ err }, "presence replica: reading the presence table failed; retrying");
      return;
    } finally {
      this.loading = false;
    }
    // Closed, or a newer owner (or another loss) came meanwhile and asked again: this answer is stale.
    if (this.stopped || this.live || epoch !== this.epoch) return;
    const changed: UserId[] = [];
    for (const row of rows) if (this.d.target.set(snapshotOf(row), row.lastActiveAt)) changed.push(row.userId);
    this.d.target.feed.resetAt(at);
    this.live = true;
    const pending = this.buffer;
    this.buffer = [];
    for (const m of pending) {
      if (m.p <= at) continue;
      if (m.prevP !== this.d.target.feed.latest()) {
        this.lose(`gap before ${m.p} while catching up`);
        break;
      }
      this.apply(m);
    }
    // Long-polls with older tokens now get the full snapshot; wake those who can see a difference.
    const wake = new Set<UserId>();
    for (const u of changed) for (const w of this.d.membership.audience(u)) wake.add(w);
    this.d.notifier.wakeUsers(wake);
  }
}
