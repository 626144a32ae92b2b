import type { Clock } from "../clock";
import { clientEvent, type RoomEvent } from "../rooms/room-event";
import type { RelationFacts, RelationsStore } from "./relations-store";

export type Bundles = ReadonlyMap<string, Record<string, unknown>>;
const NONE: Bundles = new Map();

export interface Viewer {
  userId: string;
  deviceId: string;
}

/**
 * Bundled aggregations (`unsigned["m.relations"]`): the latest edit (`m.replace`), the thread
 * summary (`m.thread`) and references (`m.reference`) of each event. Only events flagged as
 * related-to (`hasRelations`) are looked up, so a page without relations costs nothing.
 */
export class BundledAggregations {
  constructor(
    private readonly store: RelationsStore,
    private readonly events: { getEvents(ids: string[]): Promise<RoomEvent[]> },
    private readonly clock: Clock,
  ) {}

  async forEvents(events: readonly RoomEvent[], viewer: Viewer): Promise<Bundles> {
    const flagged = events.filter((e) => e.hasRelations === true);
    if (flagged.length === 0) return NONE;
    const facts = await this.store.facts(
      flagged.map((e) => e.event_id),
      viewer.userId,
    );
    const edits = new Map<string, string>();
    for (const e of flagged) {
      const edit = latestEdit(facts, e);
      if (edit) edits.set(e.event_id, edit);
    }
    const wanted = [...edits.values(), ...[...facts.threads.values()].map((t) => t.latestEventId)];
    const loaded = new Map((await this.events.getEvents(wanted)).map((e) => [e.event_id, e]));
    const now = this.clock.now();
    const out = new Map<string, Record<string, unknown>>();
    for (const e of flagged) {
      const bundle: Record<string, unknown> = {};
      const edit = loaded.get(edits.get(e.event_id) ?? "");
      if (edit && edit.type === e.type) bundle["m.replace"] = clientEvent(edit, now, viewer);
      const thread = facts.threads.get(e.event_id);
      const latest = thread ? loaded.get(thread.latestEventId) : undefined;
      if (thread && latest) {
        bundle["m.thread"] = { latest_event: clientEvent(latest, now, viewer), count: thread.count, current_user_participated: thread.participated || e.sender === viewer.userId };
      }
      const refs = facts.references.get(e.event_id);
      if (refs?.length) bundle["m.reference"] = { chunk: refs.map((id) => ({ event_id: id })) };
      if (Object.keys(bundle).length > 0) out.set(e.event_id, bundle);
    }
    return out;
  }

  /** The events in client form with their bundles. */
  async present(events: readonly RoomEvent[], viewer: Viewer): Promise<Record<string, unknown>[]> {
    const bundles = await this.forEvents(events, viewer);
    const now = this.clock.now();
    return events.map((e) => clientEvent(e, now, viewer, bundles.get(e.event_id)));
  }
}

/** The edit that applies: by the original's sender, the latest by time, then by event id. */
function latestEdit(facts: RelationFacts, original: RoomEvent): string | null {
  if (original.state_key !== undefined) return null;
  let best: { eventId: string; ts: number } | null = null;
  for (const c of facts.edits.get(original.event_id) ?? []) {
    if (c.sender !== original.sender) continue;
    if (!best || c.ts > best.ts || (c.ts === best.ts && c.eventId > best.eventId)) best = c;
  }
  return best?.eventId ?? null;
}
