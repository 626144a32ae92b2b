import type { UserId } from "@axon/protocol";
import type { PresenceStore, StoredPresence } from "./presence-store";

/**
 * Group commit for presence rows. Durable writes (a PUT) are awaited: the caller answers only
 * after the transaction holding its row commits. Lazy writes (syncs, timers, activity) ride
 * along in the next transaction, or in a flush every `lazyDelayMs`; after a crash those are
 * re-derived from what devices do next. At most one transaction is in flight; everything that
 * arrives meanwhile goes into the next one, so N concurrent PUTs cost about one commit.
 */
export class PresenceWriter {
  private pending = new Map<UserId, () => StoredPresence>();
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private inFlight: Promise<void> | null = null;
  private lazyTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly store: PresenceStore,
    private readonly onError: (err: unknown) => void,
    private readonly lazyDelayMs = 1000,
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

  /** Writes everything pending and waits for it (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.inFlight || this.pending.size > 0) {
      if (!this.inFlight) this.kick();
      await this.inFlight?.catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    this.lazyTimer = null;
    await this.flush();
  }

  private kick(): void {
    if (this.inFlight || this.pending.size === 0) return;
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
