import type { UserId } from "@axon/protocol";
import type { PresenceStore, StoredPresence } from "./presence-store";

/**
 * Group commit for presence rows. Durable writes (a PUT) are awaited: the caller answers only
 * after the transaction holding its row commits. Lazy writes (syncs, timers, activity) ride
 * along in the next transaction, or in a flush every `lazyDelayMs`; after a crash those are
 * re-derived from what devices do next. At most one transaction is in flight; everything that
 * arrives meanwhile goes into the next one, so N concurrent PUTs cost about one commit.
 * Commits start at most once per `minCommitIntervalMs`: a SQLite commit blocks the event loop for
 * its fsync, and under a stream of PUTs a short wait lets several share one.
 */
export class PresenceWriter {
  private pending = new Map<UserId, () => StoredPresence>();
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private inFlight: Promise<void> | null = null;
  private lazyTimer: ReturnType<typeof setTimeout> | null = null;
  private commitTimer: ReturnType<typeof setTimeout> | null = null;
  private lastCommitAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly store: PresenceStore,
    private readonly onError: (err: unknown) => void,
    private readonly lazyDelayMs = 1000,
    private readonly minCommitIntervalMs = 0,
  ) {}

  /** Resolves once a row for this user, built at commit time, is committed. */
  durable(userId: UserId, row: () => StoredPresence): Promise<void> {
    this.pending.set(userId, row);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.kick();
    return p;
  }

  /** Writes the row some time soon; nobody waits for it. */
  lazy(userId: UserId, row: () => StoredPresence): void {
    this.pending.set(userId, row);
    if (!this.lazyTimer && !this.closed) {
      this.lazyTimer = setTimeout(() => {
        this.lazyTimer = null;
        this.kick();
      }, this.lazyDelayMs);
      this.lazyTimer.unref();
    }
  }

  /**
   * Resolves once every row pending or in flight now is committed; unlike flush(), what arrives
   * meanwhile is not waited for (so a steady stream of writes cannot hold it up).
   */
  async barrier(): Promise<void> {
    if (this.pending.size === 0) return this.inFlight ?? undefined;
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.kick(true);
    return p;
  }

  /** Writes everything pending and waits for it (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.inFlight || this.pending.size > 0) {
      if (!this.inFlight) this.kick(true);
      await this.inFlight?.catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.lazyTimer = null;
    this.commitTimer = null;
    await this.flush();
  }

  /** Starts a commit of everything pending, unless one is in flight or (unless forced) the last began too recently. */
  private kick(force = false): void {
    if (this.inFlight || this.pending.size === 0) return;
    const wait = this.lastCommitAt + this.minCommitIntervalMs - performance.now();
    if (wait > 0 && !force) {
      this.commitTimer ??= setTimeout(() => {
        this.commitTimer = null;
        this.kick();
      }, wait);
      return;
    }
    this.lastCommitAt = performance.now();
    const batch = [...this.pending.values()].map((build) => build());
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    this.inFlight = this.store.saveMany(batch).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        this.onError(err);
        for (const w of waiters) w.reject(err);
      },
    );
    void this.inFlight.finally(() => {
      this.inFlight = null;
      this.kick();
    });
  }
}
