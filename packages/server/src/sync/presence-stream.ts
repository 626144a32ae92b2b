import { presenceEvent } from "../presence/presence-presenter";
import type { PresenceService, PresenceView } from "../presence/presence-service";
import type { Clock } from "../clock";
import type { EventFilter } from "./stream-provider";
import type { StreamProvider, SyncRequest, SyncResponse } from "./stream-provider";

/** True when the presence filter lets this user's m.presence event through. */
function passes(f: EventFilter | undefined, v: PresenceView): boolean {
  if (!f) return true;
  if (f.types && !f.types.some((t) => t === "m.presence" || t === "*" || (t.endsWith("*") && "m.presence".startsWith(t.slice(0, -1))))) {
    return false;
  }
  if (f.not_types?.some((t) => t === "m.presence" || t === "*" || (t.endsWith("*") && "m.presence".startsWith(t.slice(0, -1))))) {
    return false;
  }
  if (f.senders && !f.senders.includes(v.userId)) return false;
  if (f.not_senders?.includes(v.userId)) return false;
  return true;
}

/** The `presence` section of /sync. */
export class PresenceStreamProvider implements StreamProvider {
  readonly key = "presence";

  constructor(
    private readonly presence: PresenceService,
    private readonly clock: Clock,
  ) {}

  latest(): number {
    return this.presence.feed.latest();
  }

  async fill(req: SyncRequest, from: number | null, to: number, res: SyncResponse): Promise<boolean> {
    if (!this.presence.enabled) {
      delete res.presence;
      return false;
    }
    const f = req.filter.presence;
    const views = from === null || req.fullState ? this.presence.initialFor(req.userId) : this.presence.changesFor(req.userId, from, to);
    let events = views.filter((v) => passes(f, v));
    if (f?.limit !== undefined && events.length > f.limit) events = events.slice(events.length - f.limit);
    const now = this.clock.now();
    res.presence = { events: events.map((v) => presenceEvent(v, now)) };
    return events.length > 0;
  }
}
