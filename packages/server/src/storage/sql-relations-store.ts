import { sql, type Kysely } from "kysely";
import type { RelationFacts, RelationsPage, RelationsStore } from "../relations/relations-store";
import type { RoomEvent } from "../rooms/room-event";
import type { Database } from "./schema";
import { toEvent } from "./sql-room-store";

export class SqlRelationsStore implements RelationsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async facts(eventIds: string[], viewer: string): Promise<RelationFacts> {
    const facts: RelationFacts = { edits: new Map(), threads: new Map(), references: new Map() };
    if (eventIds.length === 0) return facts;
    const rows = await this.db
      .selectFrom("event_relations")
      .select(["relates_to", "rel_type", "event_id", "sender", "origin_server_ts"])
      .where("relates_to", "in", eventIds)
      .where("rel_type", "in", ["m.replace", "m.reference"])
      .orderBy("stream_ordering")
      .execute();
    for (const r of rows) {
      if (r.rel_type === "m.replace") {
        const list = facts.edits.get(r.relates_to) ?? [];
        list.push({ eventId: r.event_id, sender: r.sender, ts: Number(r.origin_server_ts) });
        facts.edits.set(r.relates_to, list);
      } else {
        facts.references.set(r.relates_to, [...(facts.references.get(r.relates_to) ?? []), r.event_id]);
      }
    }
    const threads = await this.db
      .selectFrom("event_relations")
      .select((eb) => [
        "relates_to",
        eb.fn.countAll<number>().as("count"),
        eb.fn.max("stream_ordering").as("latest"),
        eb.fn.max(sql<number>`case when sender = ${viewer} then 1 else 0 end`).as("mine"),
      ])
      .where("relates_to", "in", eventIds)
      .where("rel_type", "=", "m.thread")
      .groupBy("relates_to")
      .execute();
    if (threads.length === 0) return facts;
    const latest = await this.db
      .selectFrom("events")
      .select(["event_id", "stream_ordering"])
      .where("stream_ordering", "in", threads.map((t) => Number(t.latest)))
      .execute();
    const idAt = new Map(latest.map((l) => [Number(l.stream_ordering), l.event_id]));
    for (const t of threads) {
      const latestEventId = idAt.get(Number(t.latest));
      if (latestEventId) facts.threads.set(t.relates_to, { count: Number(t.count), latestEventId, participated: Number(t.mine) === 1 });
    }
    return facts;
  }

  async children(roomId: string, parents: string[], p: RelationsPage): Promise<RoomEvent[]> {
    if (parents.length === 0) return [];
    let q = this.db
      .selectFrom("event_relations as r")
      .innerJoin("events as e", "e.event_id", "r.event_id")
      .selectAll("e")
      .where("r.room_id", "=", roomId)
      .where("r.relates_to", "in", parents)
      .where("e.stream_ordering", "<=", p.upTo);
    if (p.relType !== undefined) q = q.where("r.rel_type", "=", p.relType);
    if (p.eventType !== undefined) q = q.where("r.type", "=", p.eventType);
    if (p.dir === "b") {
      if (p.from !== undefined) q = q.where("e.stream_ordering", "<=", p.from);
      if (p.to !== undefined) q = q.where("e.stream_ordering", ">", p.to);
      q = q.orderBy("e.stream_ordering", "desc");
    } else {
      if (p.from !== undefined) q = q.where("e.stream_ordering", ">", p.from);
      if (p.to !== undefined) q = q.where("e.stream_ordering", "<=", p.to);
      q = q.orderBy("e.stream_ordering", "asc");
    }
    return (await q.limit(p.limit).execute()).map(toEvent);
  }

  async childIds(parents: string[]): Promise<string[]> {
    if (parents.length === 0) return [];
    const rows = await this.db.selectFrom("event_relations").select("event_id").where("relates_to", "in", parents).execute();
    return rows.map((r) => r.event_id);
  }

  async threadRoots(roomId: string, q: { before: number; limit: number; participant?: string }): Promise<{ rootId: string; latest: number }[]> {
    let query = this.db
      .selectFrom("event_relations")
      .select((eb) => ["relates_to", eb.fn.max("stream_ordering").as("latest")])
      .where("room_id", "=", roomId)
      .where("rel_type", "=", "m.thread")
      .where("stream_ordering", "<=", q.before);
    const who = q.participant;
    if (who !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb("relates_to", "in", eb.selectFrom("event_relations").select("relates_to").where("room_id", "=", roomId).where("rel_type", "=", "m.thread").where("sender", "=", who)),
          eb("relates_to", "in", eb.selectFrom("events").select("event_id").where("room_id", "=", roomId).where("sender", "=", who).where("has_relations", "=", 1)),
        ]),
      );
    }
    const rows = await query.groupBy("relates_to").orderBy("latest", "desc").limit(q.limit).execute();
    return rows.map((r) => ({ rootId: r.relates_to, latest: Number(r.latest) }));
  }
}
