import type { DeviceId, UserId } from "@axon/protocol";
import type { Kysely } from "kysely";
import type { DeviceListStore, JsonObject, ListChange, ToDeviceMessage, ToDeviceStore } from "../e2ee/e2ee-store";
import { withE2eeTables, type E2eeDb } from "./e2ee-schema";
import type { Database } from "./schema";
import { keepPosition, keptPosition } from "./stream-positions";
import { insertListChange } from "./sql-e2ee-key-store";

export class SqlDeviceListStore implements DeviceListStore {
  private readonly db: E2eeDb;

  constructor(db: Kysely<Database>) {
    this.db = withE2eeTables(db);
  }

  async maxPosition(): Promise<number> {
    const r = await this.db.selectFrom("device_list_changes").select((eb) => eb.fn.max("stream_id").as("m")).executeTakeFirst();
    return Number(r?.m ?? 0);
  }

  async add(change: ListChange): Promise<void> {
    if (change.rows.length === 0) return;
    await this.db.transaction().execute((tx) => insertListChange(tx, change));
  }

  async since(observer: UserId, from: number, to: number): Promise<{ subject: UserId; changed: boolean }[]> {
    const rows = await this.db
      .selectFrom("device_list_changes")
      .select(["subject", "changed"])
      .where("observer", "=", observer)
      .where("stream_id", ">", from)
      .where("stream_id", "<=", to)
      .orderBy("stream_id")
      .execute();
    return rows.map((r) => ({ subject: r.subject as UserId, changed: Number(r.changed) === 1 }));
  }
}

export class SqlToDeviceStore implements ToDeviceStore {
  private readonly db: E2eeDb;

  constructor(db: Kysely<Database>) {
    this.db = withE2eeTables(db);
  }

  /** The newest position handed out: delivered messages are deleted, so their rows cannot tell. */
  async maxPosition(): Promise<number> {
    const r = await this.db.selectFrom("to_device_messages").select((eb) => eb.fn.max("stream_id").as("m")).executeTakeFirst();
    return Math.max(Number(r?.m ?? 0), (await keptPosition(this.db, "to_device")) ?? 0);
  }

  async send(
    txn: { sender: UserId; senderDevice: DeviceId; txnId: string; ts: number },
    messages: { userId: UserId; deviceId: DeviceId; type: string; content: JsonObject }[],
    position: number,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const res = await tx
        .insertInto("to_device_txns")
        .values({ sender: txn.sender, sender_device: txn.senderDevice, txn_id: txn.txnId, ts: txn.ts })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      const CHUNK = 300;
      for (let i = 0; i < messages.length; i += CHUNK) {
        const values = messages.slice(i, i + CHUNK).map((m) => ({
          stream_id: position,
          user_id: m.userId,
          device_id: m.deviceId,
          sender: txn.sender,
          type: m.type,
          content: JSON.stringify(m.content),
        }));
        await tx.insertInto("to_device_messages").values(values).execute();
      }
      await keepPosition(tx, "to_device", position);
      return true;
    });
  }

  async pending(userId: UserId, deviceId: DeviceId, after: number | null, upTo: number): Promise<ToDeviceMessage[]> {
    let q = this.db
      .selectFrom("to_device_messages")
      .select(["stream_id", "sender", "type", "content"])
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .where("stream_id", "<=", upTo);
    if (after !== null) q = q.where("stream_id", ">", after);
    const rows = await q.orderBy("stream_id").execute();
    return rows.map((r) => ({ position: Number(r.stream_id), sender: r.sender as UserId, type: r.type, content: JSON.parse(r.content) as JsonObject }));
  }

  async acknowledge(userId: UserId, deviceId: DeviceId, upTo: number): Promise<void> {
    await this.db.deleteFrom("to_device_messages").where("user_id", "=", userId).where("device_id", "=", deviceId).where("stream_id", "<=", upTo).execute();
  }
}
