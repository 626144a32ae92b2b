import { sql, SqliteAdapter, type Kysely } from "kysely";
import type { RoomEvent } from "../rooms/room-event";
import { foldText, searchableText } from "../search/search-store";
import type { Database } from "./schema";

const isSqlite = (db: Kysely<Database>) => db.getExecutor().adapter instanceof SqliteAdapter;

/** Indexes an event's searchable text, in the transaction that persists it. */
export async function indexForSearch(tx: Kysely<Database>, e: RoomEvent): Promise<void> {
  const found = searchableText(e);
  if (!found) return;
  if (isSqlite(tx)) {
    await sql`insert into event_search (value, event_id, room_id, key, stream_ordering) values (${foldText(found.text)}, ${e.event_id}, ${e.room_id}, ${found.key}, ${e.streamOrdering})`.execute(tx);
  } else {
    await sql`insert into event_search (event_id, room_id, key, stream_ordering, vector) values (${e.event_id}, ${e.room_id}, ${found.key}, ${e.streamOrdering}, to_tsvector('simple', ${foldText(found.text)}))`.execute(tx);
  }
}

/** Removes a redacted event's text from the index. */
export async function unindexForSearch(tx: Kysely<Database>, eventId: string): Promise<void> {
  await sql`delete from event_search where event_id = ${eventId}`.execute(tx);
}
