import type { DeviceId, RoomId, UserId } from "@axon/protocol";
import type { Kysely } from "kysely";
import type { Membership, RoomEvent } from "../rooms/room-event";
import type { MembershipRecord, RoomRecord, RoomStore } from "../rooms/room-store";
import type { Database, EventsTable, RoomMembershipsTable, RoomsTable } from "./schema";
import { recordRelations } from "./sql-relations-persist";
import { indexForSearch } from "./sql-search-index";

export const toEvent = (r: EventsTable): RoomEvent => ({
  event_id: r.event_id,
  room_id: r.room_id,
  sender: r.sender,
  type: r.type,
  ...(r.state_key !== null && { state_key: r.state_key }),
  content: JSON.parse(r.content) as Record<string, unknown>,
  origin_server_ts: Number(r.origin_server_ts),
  depth: Number(r.depth),
  prev_events: JSON.parse(r.prev_events) as string[],
  auth_events: JSON.parse(r.auth_events) as string[],
  ...(r.unsigned !== null && { unsigned: JSON.parse(r.unsigned) as Record<string, unknown> }),
  streamOrdering: Number(r.stream_ordering),
  ...(r.txn_id !== null && r.txn_device_id !== null && { txn: { deviceId: r.txn_device_id as DeviceId, txnId: r.txn_id } }),
  ...(r.has_relations === 1 && { hasRelations: true }),
});

const toRow = (e: RoomEvent): EventsTable => ({
  stream_ordering: e.streamOrdering,
  event_id: e.event_id,
  room_id: e.room_id,
  sender: e.sender,
  type: e.type,
  state_key: e.state_key ?? null,
  content: JSON.stringify(e.content),
  origin_server_ts: e.origin_server_ts,
  depth: e.depth,
  prev_events: JSON.stringify(e.prev_events),
  auth_events: JSON.stringify(e.auth_events),
  unsigned: e.unsigned ? JSON.stringify(e.unsigned) : null,
  txn_device_id: e.txn?.deviceId ?? null,
  txn_id: e.txn?.txnId ?? null,
  has_relations: e.hasRelations ? 1 : 0,
});

const toRoom = (r: RoomsTable): RoomRecord => ({
  roomId: r.room_id as RoomId,
  roomVersion: r.room_version,
  creator: r.creator as UserId,
  isPublic: r.is_public === 1,
  createdTs: Number(r.created_ts),
});

const toMembership = (r: RoomMembershipsTable): MembershipRecord => ({
  roomId: r.room_id as RoomId,
  userId: r.user_id as UserId,
  membership: r.membership as Membership,
  eventId: r.event_id,
  streamOrdering: Number(r.stream_ordering),
  forgotten: r.forgotten === 1,
});

export class SqlRoomStore implements RoomStore {
  constructor(private readonly db: Kysely<Database>) {}

  async persistEvents(events: RoomEvent[], newRoom?: RoomRecord): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      if (newRoom) {
        await tx
          .insertInto("rooms")
          .values({
            room_id: newRoom.roomId,
            room_version: newRoom.roomVersion,
            creator: newRoom.creator,
            is_public: newRoom.isPublic ? 1 : 0,
            created_ts: newRoom.createdTs,
          })
          .execute();
      }
      for (const e of events) {
        await tx.insertInto("events").values(toRow(e)).execute();
        await recordRelations(tx, e);
        await indexForSearch(tx, e);
        if (e.state_key === undefined) continue;
        await tx
          .insertInto("room_state")
          .values({ room_id: e.room_id, type: e.type, state_key: e.state_key, event_id: e.event_id })
          .onConflict((oc) => oc.columns(["room_id", "type", "state_key"]).doUpdateSet({ event_id: e.event_id }))
          .execute();
        if (e.type !== "m.room.member") continue;
        const membership = String(e.content.membership);
        await tx
          .insertInto("room_memberships")
          .values({
            room_id: e.room_id,
            user_id: e.state_key,
            membership,
            event_id: e.event_id,
            stream_ordering: e.streamOrdering,
            forgotten: 0,
          })
          .onConflict((oc) =>
            oc
              .columns(["room_id", "user_id"])
              .doUpdateSet({ membership, event_id: e.event_id, stream_ordering: e.streamOrdering, forgotten: 0 }),
          )
          .execute();
      }
    });
  }

  async getRoom(roomId: RoomId): Promise<RoomRecord | null> {
    const r = await this.db.selectFrom("rooms").selectAll().where("room_id", "=", roomId).executeTakeFirst();
    return r ? toRoom(r) : null;
  }

  async setRoomPublic(roomId: RoomId, isPublic: boolean): Promise<void> {
    await this.db.updateTable("rooms").set({ is_public: isPublic ? 1 : 0 }).where("room_id", "=", roomId).execute();
  }

  async publicRooms(): Promise<RoomRecord[]> {
    const rows = await this.db.selectFrom("rooms").selectAll().where("is_public", "=", 1).orderBy("created_ts").execute();
    return rows.map(toRoom);
  }

  async getEvent(eventId: string): Promise<RoomEvent | null> {
    const r = await this.db.selectFrom("events").selectAll().where("event_id", "=", eventId).executeTakeFirst();
    return r ? toEvent(r) : null;
  }

  async getEvents(eventIds: string[]): Promise<RoomEvent[]> {
    if (eventIds.length === 0) return [];
    const rows = await this.db.selectFrom("events").selectAll().where("event_id", "in", eventIds).orderBy("stream_ordering").execute();
    return rows.map(toEvent);
  }

  async currentState(roomId: RoomId): Promise<RoomEvent[]> {
    const rows = await this.db
      .selectFrom("room_state")
      .innerJoin("events", "events.event_id", "room_state.event_id")
      .selectAll("events")
      .where("room_state.room_id", "=", roomId)
      .orderBy("events.stream_ordering")
      .execute();
    return rows.map(toEvent);
  }

  async roomEvents(roomId: RoomId, q: { from: number; dir: "b" | "f"; limit: number; bound?: number }): Promise<RoomEvent[]> {
    let query = this.db.selectFrom("events").selectAll().where("room_id", "=", roomId);
    if (q.dir === "b") {
      query = query.where("stream_ordering", "<=", q.from).orderBy("stream_ordering", "desc");
      if (q.bound !== undefined) query = query.where("stream_ordering", ">", q.bound);
    } else {
      query = query.where("stream_ordering", ">", q.from).orderBy("stream_ordering", "asc");
      if (q.bound !== undefined) query = query.where("stream_ordering", "<=", q.bound);
    }
    const rows = await query.limit(q.limit).execute();
    return rows.map(toEvent);
  }

  async eventsInRooms(roomIds: RoomId[], from: number, to: number, limit: number): Promise<RoomEvent[]> {
    if (roomIds.length === 0) return [];
    const rows = await this.db
      .selectFrom("events")
      .selectAll()
      .where("room_id", "in", roomIds)
      .where("stream_ordering", ">", from)
      .where("stream_ordering", "<=", to)
      .orderBy("stream_ordering", "desc")
      .limit(limit)
      .execute();
    return rows.map(toEvent);
  }

  async eventsBetween(from: number, to: number, limit: number): Promise<RoomEvent[]> {
    const rows = await this.db
      .selectFrom("events")
      .selectAll()
      .where("stream_ordering", ">", from)
      .where("stream_ordering", "<=", to)
      .orderBy("stream_ordering", "asc")
      .limit(limit)
      .execute();
    return rows.map(toEvent);
  }

  async maxStreamOrdering(): Promise<number> {
    const r = await this.db.selectFrom("events").select((eb) => eb.fn.max("stream_ordering").as("m")).executeTakeFirst();
    return Number(r?.m ?? 0);
  }

  async findTxn(userId: UserId, deviceId: string, txnId: string): Promise<string | null> {
    const r = await this.db
      .selectFrom("events")
      .select("event_id")
      .where("sender", "=", userId)
      .where("txn_device_id", "=", deviceId)
      .where("txn_id", "=", txnId)
      .executeTakeFirst();
    return r?.event_id ?? null;
  }

  async membership(roomId: RoomId, userId: UserId): Promise<MembershipRecord | null> {
    const r = await this.db
      .selectFrom("room_memberships")
      .selectAll()
      .where("room_id", "=", roomId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return r ? toMembership(r) : null;
  }

  async membershipsOf(userId: UserId, after?: number): Promise<MembershipRecord[]> {
    let q = this.db.selectFrom("room_memberships").selectAll().where("user_id", "=", userId).where("forgotten", "=", 0);
    if (after !== undefined) q = q.where("stream_ordering", ">", after);
    return (await q.orderBy("stream_ordering").execute()).map(toMembership);
  }

  async allJoins(): Promise<{ roomId: RoomId; userId: UserId }[]> {
    const rows = await this.db.selectFrom("room_memberships").select(["room_id", "user_id"]).where("membership", "=", "join").execute();
    return rows.map((r) => ({ roomId: r.room_id as RoomId, userId: r.user_id as UserId }));
  }

  async forget(roomId: RoomId, userId: UserId): Promise<void> {
    await this.db.updateTable("room_memberships").set({ forgotten: 1 }).where("room_id", "=", roomId).where("user_id", "=", userId).execute();
  }

  async putAlias(alias: string, roomId: RoomId, creator: UserId): Promise<boolean> {
    const res = await this.db
      .insertInto("room_aliases")
      .values({ alias, room_id: roomId, creator })
      .onConflict((oc) => oc.column("alias").doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async getAlias(alias: string): Promise<{ roomId: RoomId; creator: UserId } | null> {
    const r = await this.db.selectFrom("room_aliases").selectAll().where("alias", "=", alias).executeTakeFirst();
    return r ? { roomId: r.room_id as RoomId, creator: r.creator as UserId } : null;
  }

  async deleteAlias(alias: string): Promise<void> {
    await this.db.deleteFrom("room_aliases").where("alias", "=", alias).execute();
  }

  async aliasesOf(roomId: RoomId): Promise<string[]> {
    const rows = await this.db.selectFrom("room_aliases").select("alias").where("room_id", "=", roomId).orderBy("alias").execute();
    return rows.map((r) => r.alias);
  }
}
