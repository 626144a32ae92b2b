import type { Transaction } from "kysely";
import { redactedBecause, redactedContent, redactsOf, relationOf } from "../relations/redaction";
import type { RoomEvent } from "../rooms/room-event";
import type { Database } from "./schema";
import { unindexForSearch } from "./sql-search-index";

/**
 * What persisting an event does beyond storing it, in the same transaction: a relation is
 * recorded and flags its target (so only flagged events are looked up for bundled aggregations);
 * a redaction prunes its target's stored content for good and records why in its `unsigned`.
 */
export async function recordRelations(tx: Transaction<Database>, e: RoomEvent): Promise<void> {
  const rel = e.state_key === undefined ? relationOf(e.content) : null;
  if (rel) {
    await tx
      .insertInto("event_relations")
      .values({
        event_id: e.event_id,
        room_id: e.room_id,
        relates_to: rel.eventId,
        rel_type: rel.relType,
        sender: e.sender,
        type: e.type,
        stream_ordering: e.streamOrdering,
        origin_server_ts: e.origin_server_ts,
      })
      .execute();
    await tx.updateTable("events").set({ has_relations: 1 }).where("event_id", "=", rel.eventId).where("room_id", "=", e.room_id).execute();
  }
  const target = redactsOf(e);
  if (target) await applyRedaction(tx, e, target);
}

async function applyRedaction(tx: Transaction<Database>, redaction: RoomEvent, targetId: string): Promise<void> {
  const row = await tx
    .selectFrom("events")
    .innerJoin("rooms", "rooms.room_id", "events.room_id")
    .select(["events.type", "events.content", "events.unsigned", "rooms.room_version"])
    .where("events.event_id", "=", targetId)
    .where("events.room_id", "=", redaction.room_id)
    .executeTakeFirst();
  if (!row) return;
  const content = redactedContent(row.type, JSON.parse(row.content) as Record<string, unknown>, row.room_version);
  const unsigned = { ...(row.unsigned ? (JSON.parse(row.unsigned) as Record<string, unknown>) : {}), redacted_because: redactedBecause(redaction) };
  await tx.updateTable("events").set({ content: JSON.stringify(content), unsigned: JSON.stringify(unsigned) }).where("event_id", "=", targetId).execute();
  // A redacted event relates to nothing any more, and its text is not found any more.
  await tx.deleteFrom("event_relations").where("event_id", "=", targetId).execute();
  await unindexForSearch(tx, targetId);
}
