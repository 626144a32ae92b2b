import type { RoomId } from "@axon/protocol";
import type { RoomEvent } from "../rooms/room-event";
import type { RecentEvents } from "../rooms/recent-events";
import type { RoomWriter } from "../rooms/room-writer";
import { redactedBecause, redactedContent, redactsOf, relationOf } from "./redaction";

/**
 * Keeps the in-memory copies of events (recent timelines, current state) in step with what
 * persisting a relation or a redaction did to the stored ones, before any long-poll is woken.
 */
export function patchCachedEvents(writer: Pick<RoomWriter, "onEvent" | "peekState">, recent: Pick<RecentEvents, "replace">): void {
  writer.onEvent((e) => {
    const roomId = e.room_id as RoomId;
    const target = redactsOf(e);
    if (target) {
      const state = writer.peekState(roomId);
      const version = String(state?.get("m.room.create", "")?.content.room_version ?? "1");
      const prune = (t: RoomEvent): RoomEvent => ({
        ...t,
        content: redactedContent(t.type, t.content, version),
        unsigned: { ...(t.unsigned ?? {}), redacted_because: redactedBecause(e) },
      });
      recent.replace(roomId, target, prune);
      if (state) {
        for (const [key, s] of state.byKey) if (s.event_id === target) state.byKey.set(key, prune(s));
      }
    }
    const rel = e.state_key === undefined ? relationOf(e.content) : null;
    if (rel) recent.replace(roomId, rel.eventId, (t) => (t.hasRelations ? t : { ...t, hasRelations: true }));
  });
}
