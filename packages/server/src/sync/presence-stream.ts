import { presenceEvent } from "../presence/presence-presenter";
import { eventMatches } from "../rooms/room-service";
import type { PresenceService } from "../presence/presence-service";
import type { Clock } from "../clock";
import type { StreamProvider, SyncRequest, SyncResponse } from "./stream-provider";

/** The `presence` section of /sync. */
export class PresenceStreamProvider implements StreamProvider {
  readonly key = "presence";
  readonly acceptsAhead: boolean;

  constructor(
    private readonly presence: PresenceService,
    private readonly clock: Clock,
    /** `cluster`: positions come from the owner's stream, and a token may be ahead of this process's copy. */
    opts: { cluster?: boolean } = {},
  ) {
    this.acceptsAhead = opts.cluster ?? false;
  }

  latest(): number {
    return this.presence.feed.latest();
  }

  fill(req: SyncRequest, from: number | null, to: number, res: SyncResponse): boolean {
    if (!this.presence.enabled) {
      delete res.presence;
      return false;
    }
    const f = req.filter.presence;
    const views = from === null || req.fullState ? this.presence.initialFor(req.userId) : this.presence.changesFor(req.userId, from, to);
    let events = views.filter((v) => eventMatches(f, { type: "m.presence", sender: v.userId }));
    if (f?.limit !== undefined && events.length > f.limit) events = events.slice(events.length - f.limit);
    if (events.length === 0) return false;
    const now = this.clock.now();
    res.presence = { events: events.map((v) => presenceEvent(v, now)) };
    return true;
  }
}
