import { Emitter, PeopleTracker, PresenceTracker, SyncLoop, type AxonClient, type PresenceState, type SyncStatus } from "@axon/sdk";

/** What this device's syncs say about you (`set_presence`): busy and online keep you online. */
export type Implicit = "online" | "unavailable" | "offline";

export function implicitFor(state: PresenceState): Implicit {
  return state === "busy" ? "online" : state;
}

/**
 * The page's one sync loop and what it feeds: everyone's presence and the people you share a room
 * with. A sync says what this device is doing (`set_presence`), and the server takes the device's
 * word over an earlier choice, so when you choose Away or Offline the loop is restarted (from the
 * same position) saying so; otherwise the page's own syncs would put you back online.
 */
export class Connection extends Emitter<{ state: [status: SyncStatus] }> {
  readonly presence = new PresenceTracker();
  readonly people: PeopleTracker;
  private loop: SyncLoop | null = null;
  private detach: (() => void)[] = [];

  constructor(
    readonly client: AxonClient,
    private implicit: Implicit,
  ) {
    super();
    this.people = new PeopleTracker(client.userId);
  }

  get status(): SyncStatus {
    return this.loop?.status ?? { state: "stopped", retryAt: null, error: null };
  }

  start(since?: string): void {
    if (this.loop) return;
    const loop = new SyncLoop(this.client, { setPresence: this.implicit, since });
    this.loop = loop;
    this.detach = [this.presence.attach(loop), this.people.attach(loop), loop.on("state", (s) => this.emit("state", s))];
    loop.start();
  }

  /** Stops the loop; returns the position to resume from. */
  async stop(): Promise<string | undefined> {
    const loop = this.loop;
    if (!loop) return undefined;
    this.loop = null;
    await loop.stop();
    for (const d of this.detach) d();
    this.detach = [];
    return loop.nextBatch;
  }

  /**
   * Runs `change` (your explicit choice) with this device's syncs saying `implicit` from then on:
   * if that is new, the loop is stopped first, so no sync of the old kind overtakes the choice.
   */
  async withImplicit<T>(implicit: Implicit, change: () => Promise<T>): Promise<T> {
    if (implicit === this.implicit || !this.loop) {
      this.implicit = implicit;
      return change();
    }
    const since = await this.stop();
    try {
      const result = await change();
      this.implicit = implicit;
      return result;
    } finally {
      this.start(since);
    }
  }
}
