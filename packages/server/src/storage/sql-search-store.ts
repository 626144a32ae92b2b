import { sql, SqliteAdapter, type Kysely, type RawBuilder } from "kysely";
import type { SearchHit, SearchQuery, SearchStore } from "../search/search-store";
import type { Database } from "./schema";

interface HitRow {
  event_id: string;
  room_id: string;
  score: number;
}

export class SqlSearchStore implements SearchStore {
  private readonly sqlite: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  }

  async search(q: SearchQuery): Promise<{ count: number; hits: SearchHit[] }> {
    if (q.rooms.length === 0 || q.words.length === 0 || q.keys.length === 0) return { count: 0, hits: [] };
    const rooms = sql.join(q.rooms);
    const keys = sql.join(q.keys);
    let where: RawBuilder<unknown>;
    let rank: RawBuilder<unknown>;
    if (this.sqlite) {
      // Each word a quoted prefix: FTS5 syntax in the term cannot leak into the query.
      const match = q.words.map((w) => `"${w}"*`).join(" ");
      where = sql`event_search match ${match} and room_id in (${rooms}) and key in (${keys})`;
      // bm25 is lower for better matches.
      rank = sql`-bm25(event_search)`;
    } else {
      const query = q.words.map((w) => `${w}:*`).join(" & ");
      where = sql`vector @@ to_tsquery('simple', ${query}) and room_id in (${rooms}) and key in (${keys})`;
      rank = sql`ts_rank(vector, to_tsquery('simple', ${query}))`;
    }
    const order = q.order === "recent" ? sql`stream_ordering desc` : sql`score desc, stream_ordering desc`;
    const { rows } = await sql<HitRow>`select event_id, room_id, ${rank} as score from event_search where ${where} order by ${order} limit ${q.limit} offset ${q.offset}`.execute(this.db);
    const counted = await sql<{ n: number }>`select count(*) as n from event_search where ${where}`.execute(this.db);
    return {
      count: Number(counted.rows[0]?.n ?? 0),
      hits: rows.map((r) => ({ eventId: r.event_id, roomId: r.room_id, rank: Number(r.score) })),
    };
  }
}
