import type { RoomId, UserId } from "@axon/protocol";
import type { Kysely, Selectable } from "kysely";
import type { AccountDataRecord, AccountDataStore, FilterStore, ReceiptRecord, ReceiptStore } from "../rooms/ephemeral-store";
import type { Database } from "./schema";

type Row<T extends keyof Database> = Selectable<Database[T]>;

const toAccountData = (r: Row<"account_data">): AccountDataRecord => ({
  roomId: r.room_id === "" ? null : (r.room_id as RoomId),
  type: r.type,
  content: JSON.parse(r.content) as Record<string, unknown>,
  streamId: Number(r.stream_id),
});

const toReceipt = (r: Pick<Row<"receipts">, "room_id" | "receipt_type" | "user_id" | "thread_id" | "event_id" | "ts" | "stream_id">): ReceiptRecord => ({
  roomId: r.room_id as RoomId,
  receiptType: r.receipt_type,
  userId: r.user_id as UserId,
  threadId: r.thread_id,
  eventId: r.event_id,
  ts: Number(r.ts),
  streamId: Number(r.stream_id),
});

export class SqlAccountDataStore implements AccountDataStore {
  constructor(private readonly db: Kysely<Database>) {}

  async put(userId: UserId, roomId: RoomId | null, type: string, content: Record<string, unknown>, streamId: number): Promise<void> {
    const json = JSON.stringify(content);
    await this.db
      .insertInto("account_data")
      .values({ user_id: userId, room_id: roomId ?? "", type, content: json, stream_id: streamId })
      .onConflict((oc) => oc.columns(["user_id", "room_id", "type"]).doUpdateSet({ content: json, stream_id: streamId }))
      .execute();
  }

  async get(userId: UserId, roomId: RoomId | null, type: string): Promise<Record<string, unknown> | null> {
    const r = await this.db
      .selectFrom("account_data")
      .select("content")
      .where("user_id", "=", userId)
      .where("room_id", "=", roomId ?? "")
      .where("type", "=", type)
      .executeTakeFirst();
    return r ? (JSON.parse(r.content) as Record<string, unknown>) : null;
  }

  async between(from: number, to: number): Promise<(AccountDataRecord & { userId: UserId })[]> {
    const rows = await this.db.selectFrom("account_data").selectAll().where("stream_id", ">", from).where("stream_id", "<=", to).orderBy("stream_id").execute();
    return rows.map((r) => ({ userId: r.user_id as UserId, ...toAccountData(r) }));
  }

  async everyonesGlobal(type: string): Promise<{ userId: UserId; content: Record<string, unknown> }[]> {
    const rows = await this.db.selectFrom("account_data").select(["user_id", "content"]).where("room_id", "=", "").where("type", "=", type).execute();
    return rows.map((r) => ({ userId: r.user_id as UserId, content: JSON.parse(r.content) as Record<string, unknown> }));
  }

  async changed(userId: UserId, after: number | null): Promise<AccountDataRecord[]> {
    let q = this.db.selectFrom("account_data").selectAll().where("user_id", "=", userId);
    if (after !== null) q = q.where("stream_id", ">", after);
    const rows = await q.orderBy("stream_id").execute();
    return rows.map(toAccountData);
  }

  async maxStreamId(): Promise<number> {
    const r = await this.db.selectFrom("account_data").select((eb) => eb.fn.max("stream_id").as("m")).executeTakeFirst();
    return Number(r?.m ?? 0);
  }
}

export class SqlReceiptStore implements ReceiptStore {
  constructor(private readonly db: Kysely<Database>) {}

  async put(r: ReceiptRecord): Promise<void> {
    await this.db
      .insertInto("receipts")
      .values({
        room_id: r.roomId,
        receipt_type: r.receiptType,
        user_id: r.userId,
        thread_id: r.threadId,
        event_id: r.eventId,
        ts: r.ts,
        stream_id: r.streamId,
      })
      .onConflict((oc) =>
        oc.columns(["room_id", "receipt_type", "user_id", "thread_id"]).doUpdateSet({ event_id: r.eventId, ts: r.ts, stream_id: r.streamId }),
      )
      .execute();
  }

  async inRooms(roomIds: RoomId[], after: number | null): Promise<ReceiptRecord[]> {
    if (roomIds.length === 0) return [];
    let q = this.db.selectFrom("receipts").selectAll().where("room_id", "in", roomIds);
    if (after !== null) q = q.where("stream_id", ">", after);
    const rows = await q.orderBy("stream_id").execute();
    return rows.map(toReceipt);
  }

  async between(from: number, to: number): Promise<{ receipt: ReceiptRecord; eventOrdering: number }[]> {
    const rows = await this.db
      .selectFrom("receipts")
      .innerJoin("events", "events.event_id", "receipts.event_id")
      .select(["receipts.room_id", "receipts.receipt_type", "receipts.user_id", "receipts.thread_id", "receipts.event_id", "receipts.ts", "receipts.stream_id", "events.stream_ordering"])
      .where("receipts.stream_id", ">", from)
      .where("receipts.stream_id", "<=", to)
      .orderBy("receipts.stream_id")
      .execute();
    return rows.map((r) => ({ receipt: toReceipt(r), eventOrdering: Number(r.stream_ordering) }));
  }

  async maxStreamId(): Promise<number> {
    const r = await this.db.selectFrom("receipts").select((eb) => eb.fn.max("stream_id").as("m")).executeTakeFirst();
    return Number(r?.m ?? 0);
  }
}

export class SqlFilterStore implements FilterStore {
  constructor(private readonly db: Kysely<Database>) {}

  async add(userId: UserId, filterJson: string): Promise<string> {
    return this.db.transaction().execute(async (tx) => {
      const rows = await tx.selectFrom("sync_filters").select("filter_id").where("user_id", "=", userId).execute();
      const next = rows.reduce((m, r) => Math.max(m, Number(r.filter_id) || 0), 0) + 1;
      await tx.insertInto("sync_filters").values({ user_id: userId, filter_id: String(next), filter_json: filterJson }).execute();
      return String(next);
    });
  }

  async get(userId: UserId, filterId: string): Promise<string | null> {
    const r = await this.db
      .selectFrom("sync_filters")
      .select("filter_json")
      .where("user_id", "=", userId)
      .where("filter_id", "=", filterId)
      .executeTakeFirst();
    return r?.filter_json ?? null;
  }
}
