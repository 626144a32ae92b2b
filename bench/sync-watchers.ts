import type { JsonClient } from "./http-client";
import { inPool, sleep } from "./pool";
import type { BenchUser } from "./seed";

export interface PresenceEvent {
  sender: string;
  state: string;
}

/** The presence events of a /sync body, tolerating absent sections. */
export function presenceEventsOf(body: unknown): PresenceEvent[] {
  const events = (body as { presence?: { events?: unknown } } | null)?.presence?.events;
  if (!Array.isArray(events)) return [];
  const out: PresenceEvent[] = [];
  for (const e of events as { sender?: unknown; type?: unknown; content?: { presence?: unknown } }[]) {
    if (typeof e?.sender === "string" && typeof e.content?.presence === "string") out.push({ sender: e.sender, state: e.content.presence });
  }
  return out;
}

export interface WatcherStats {
  responses: number;
  /** Responses that carried at least one presence event. */
  woken: number;
  events: number;
  errors: number;
  /** Error responses by status (0: network error). */
  errorsByStatus: Record<string, number>;
}

export interface WatcherOptions {
  timeoutMs: number;
  /** set_presence of every long-poll ("offline": syncing changes nothing). */
  setPresence: "offline" | "online" | "unavailable";
  /** Called for each presence event of an incremental response, with the arrival time. */
  onPresence(watcher: number, ev: PresenceEvent, at: number): void;
}

/** Users keeping a /sync long-poll open, each re-polling the moment its previous one returns. */
export class SyncWatchers {
  private readonly since = new Map<number, string>();
  private running = false;
  private loops: Promise<void>[] = [];
  stats: WatcherStats = emptyStats();

  private readonly clientOf: (u: BenchUser) => JsonClient;

  /** `client`: one for all, or each user's (a cluster spreads long-polls over its processes; asked again before each poll). */
  constructor(
    client: JsonClient | ((u: BenchUser) => JsonClient),
    private readonly opts: WatcherOptions,
  ) {
    this.clientOf = typeof client === "function" ? client : () => client;
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  /** Initial syncs; throws on the first failure (set-up must be sound before measuring). */
  async initial(users: readonly BenchUser[], concurrency: number, setPresence = this.opts.setPresence): Promise<void> {
    await inPool(users, concurrency, async (u) => {
      await this.initialOne(u, setPresence);
    });
  }

  /** One user's initial sync; resolves with its arrival time. */
  async initialOne(u: BenchUser, setPresence = this.opts.setPresence): Promise<number> {
    let res;
    try {
      res = await this.clientOf(u).request("GET", `/_matrix/client/v3/sync?timeout=0&set_presence=${setPresence}`, { token: u.token, dedicated: true });
    } catch (err) {
      this.error(0);
      throw err;
    }
    if (res.status !== 200) this.error(res.status);
    const next = (res.body as { next_batch?: unknown } | null)?.next_batch;
    if (res.status !== 200 || typeof next !== "string") throw new Error(`initial sync failed: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    this.since.set(u.index, next);
    return performance.now();
  }

  /** Starts the long-poll loop of each user (after their initial sync). */
  start(users: readonly BenchUser[]): void {
    this.running = true;
    for (const u of users) this.loops.push(this.loop(u));
  }

  /** Stops re-polling; requests in flight end when the client's sockets are destroyed. */
  stop(): void {
    this.running = false;
  }

  private async loop(u: BenchUser): Promise<void> {
    const base = `/_matrix/client/v3/sync?timeout=${this.opts.timeoutMs}&set_presence=${this.opts.setPresence}&since=`;
    while (this.running) {
      const since = this.since.get(u.index);
      if (since === undefined) return;
      let res;
      try {
        res = await this.clientOf(u).request("GET", base + encodeURIComponent(since), { token: u.token, timeoutMs: this.opts.timeoutMs + 30_000, dedicated: true });
      } catch {
        if (!this.running) return;
        this.error(0);
        await sleep(500);
        continue;
      }
      if (!this.running) return;
      const at = performance.now();
      if (res.status !== 200) {
        this.error(res.status);
        await sleep(500);
        continue;
      }
      this.stats.responses++;
      const next = (res.body as { next_batch?: unknown } | null)?.next_batch;
      if (typeof next === "string") this.since.set(u.index, next);
      const events = presenceEventsOf(res.body);
      if (events.length > 0) {
        this.stats.woken++;
        this.stats.events += events.length;
        for (const ev of events) this.opts.onPresence(u.index, ev, at);
      }
    }
  }

  private error(status: number): void {
    this.stats.errors++;
    this.stats.errorsByStatus[status] = (this.stats.errorsByStatus[status] ?? 0) + 1;
  }
}

function emptyStats(): WatcherStats {
  return { responses: 0, woken: 0, events: 0, errors: 0, errorsByStatus: {} };
}
