import type { RoomId, UserId } from "@axon/protocol";
import { sql, type Kysely } from "kysely";
import type { NotificationRecord, NotificationStore } from "../notifications/notification-store";
import type { PushAction } from "../push/push-rule-types";
import type { Database } from "./schema";
import { keepPosition, keptPosition } from "./stream-positions";

const READ_TYPES = ["m.read", "m.read.private"];

export class SqlNotificationStore implements NotificationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(rows: NotificationRecord[], evaluatedUpTo: number): Promise<void> {
    const values = rows.map((r) => ({
      user_id: r.userId,
      room_id: r.roomId,
      stream_ordering: r.streamOrdering,
      event_id: r.eventId,
      highlight: r.highlight ? 1 : 0,
      actions: JSON.stringify(r.actions),
      ts: r.ts,
    }));
    await this.db.transaction().execute(async (tx) => {
      // Kept well under SQLite's bound-parameter limit per statement.
      for (let i = 0; i < values.length; i += 500) {
        await tx
          .insertInto("event_notifications")
          .values(values.slice(i, i + 500))
          .onConflict((oc) => oc.columns(["user_id", "stream_ordering"]).doNothing())
          .execute();
      }
      await keepPosition(tx, "notifications", evaluatedUpTo);
    });
  }

  evaluatedUpTo(): Promise<number | null> {
    return keptPosition(this.db, "notifications");
  }

  async page(userId: UserId, q: { before: number | null; limit: number; onlyHighlight: boolean }): Promise<NotificationRecord[]> {
    let query = this.db.selectFrom("event_notifications").selectAll().where("user_id", "=", userId);
    if (q.before !== null) query = query.where("stream_ordering", "<", q.before);
    if (q.onlyHighlight) query = query.where("highlight", "=", 1);
    const rows = await query.orderBy("stream_ordering", "desc").limit(q.limit).execute();
    return rows.map((r) => ({
      userId: r.user_id as UserId,
      roomId: r.room_id as RoomId,
      streamOrdering: Number(r.stream_ordering),
      eventId: r.event_id,
      highlight: Number(r.highlight) === 1,
      actions: JSON.parse(r.actions) as PushAction[],
      ts: Number(r.ts),
    }));
  }

  async readMarkers(): Promise<{ userId: UserId; roomId: RoomId; streamOrdering: number }[]> {
    const rows = await this.db
      .selectFrom("receipts as r")
      .innerJoin("events as e", "e.event_id", "r.event_id")
      .select(["r.user_id", "r.room_id", (eb) => eb.fn.max("e.stream_ordering").as("m")])
      .where("r.receipt_type", "in", READ_TYPES)
      .groupBy(["r.user_id", "r.room_id"])
      .execute();
    return rows.map((r) => ({ userId: r.user_id as UserId, roomId: r.room_id as RoomId, streamOrdering: Number(r.m) }));
  }

  async unreadRows(): Promise<{ userId: UserId; roomId: RoomId; streamOrdering: number; highlight: boolean }[]> {
    const { rows } = await sql<{ user_id: string; room_id: string; stream_ordering: number | string; highlight: number | string }>`
      SELECT n.user_id, n.room_id, n.stream_ordering, n.highlight FROM event_notifications n
      WHERE n.stream_ordering > COALESCE((
        SELECT MAX(e.stream_ordering) FROM receipts r JOIN events e ON e.event_id = r.event_id
        WHERE r.user_id = n.user_id AND r.room_id = n.room_id AND r.receipt_type IN ('m.read', 'm.read.private')
      ), 0)
      ORDER BY n.stream_ordering`.execute(this.db);
    return rows.map((r) => ({ userId: r.user_id as UserId, roomId: r.room_id as RoomId, streamOrdering: Number(r.stream_ordering), highlight: Number(r.highlight) === 1 }));
  }
}
