import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RoomId, UserId } from "@axon/protocol";
import { freshDatabase, testDatabases } from "../../test/databases";
import type { RoomEvent } from "../rooms/room-event";
import { SqlAccountDataStore, SqlFilterStore, SqlReceiptStore } from "./sql-ephemeral-store";
import { SqlRoomStore } from "./sql-room-store";
import type { OpenDatabase } from "./database";

const room = "!r:test" as RoomId;
const alice = "@alice:test" as UserId;
const bob = "@bob:test" as UserId;

const ev = (n: number, over: Partial<RoomEvent> = {}): RoomEvent => ({
  event_id: `$e${n}`,
  room_id: room,
  sender: alice,
  type: "m.room.message",
  content: { body: `m${n}` },
  origin_server_ts: 1000 + n,
  depth: n,
  prev_events: n > 1 ? [`$e${n - 1}`] : [],
  auth_events: [],
  streamOrdering: n,
  ...over,
});

for (const { name, skip } of await testDatabases()) {
  describe(`room stores on ${name}`, { skip }, () => {
    const withDb = async (fn: (db: OpenDatabase) => Promise<void>) => {
      const tdb = await freshDatabase(name);
      const open = await tdb.open();
      try {
        await fn(open);
      } finally {
        await open.close();
        await tdb.cleanup();
      }
    };

    it("persists events with state and memberships, and pages them both ways", () =>
      withDb(async ({ db }) => {
        const store = new SqlRoomStore(db);
        await store.persistEvents(
          [
            ev(1, { type: "m.room.create", state_key: "", content: { creator: alice } }),
            ev(2, { type: "m.room.member", state_key: alice, content: { membership: "join" } }),
            ev(3, { type: "m.room.member", state_key: bob, content: { membership: "invite" }, txn: { deviceId: "D" as never, txnId: "t1" } }),
            ev(4),
            ev(5, { type: "m.room.member", state_key: bob, content: { membership: "join" }, sender: bob, unsigned: { prev_content: { membership: "invite" } } }),
          ],
          { roomId: room, roomVersion: "10", creator: alice, isPublic: false, createdTs: 1 },
        );
        assert.equal((await store.getRoom(room))?.creator, alice);
        assert.equal(await store.maxStreamOrdering(), 5);
        assert.deepEqual((await store.currentState(room)).map((e) => e.event_id), ["$e1", "$e2", "$e5"]);
        assert.equal((await store.membership(room, bob))?.membership, "join");
        assert.deepEqual((await store.allJoins()).map((j) => j.userId).sort(), [alice, bob]);
        assert.deepEqual((await store.roomEvents(room, { from: 4, dir: "b", limit: 2 })).map((e) => e.streamOrdering), [4, 3]);
        assert.deepEqual((await store.roomEvents(room, { from: 2, dir: "f", limit: 10, bound: 4 })).map((e) => e.streamOrdering), [3, 4]);
        assert.deepEqual((await store.eventsInRooms([room], 3, 5, 10)).map((e) => e.streamOrdering), [5, 4]);
        const e5 = await store.getEvent("$e5");
        assert.deepEqual(e5?.unsigned, { prev_content: { membership: "invite" } });
        assert.equal(e5?.state_key, bob);
        assert.equal((await store.getEvent("$e4"))?.state_key, undefined);
        assert.equal(await store.findTxn(alice, "D", "t1"), "$e3");
        assert.equal(await store.findTxn(alice, "OTHER", "t1"), null);
        assert.deepEqual((await store.membershipsOf(bob, 3)).map((m) => m.streamOrdering), [5]);
        await store.forget(room, bob);
        assert.deepEqual(await store.membershipsOf(bob), []);
      }));

    it("refuses a second alias with the same name", () =>
      withDb(async ({ db }) => {
        const store = new SqlRoomStore(db);
        assert.equal(await store.putAlias("#a:test", room, alice), true);
        assert.equal(await store.putAlias("#a:test", "!other:test" as RoomId, bob), false);
        assert.deepEqual(await store.getAlias("#a:test"), { roomId: room, creator: alice });
        assert.deepEqual(await store.aliasesOf(room), ["#a:test"]);
        await store.deleteAlias("#a:test");
        assert.equal(await store.getAlias("#a:test"), null);
      }));

    it("keeps the latest account data, receipt and filters per key", () =>
      withDb(async ({ db }) => {
        const ad = new SqlAccountDataStore(db);
        await ad.put(alice, null, "m.direct", { a: 1 }, 1);
        await ad.put(alice, room, "m.tag", { tags: {} }, 2);
        await ad.put(alice, null, "m.direct", { a: 2 }, 3);
        assert.deepEqual(await ad.get(alice, null, "m.direct"), { a: 2 });
        assert.equal(await ad.get(bob, null, "m.direct"), null);
        assert.deepEqual((await ad.changed(alice, 2)).map((r) => [r.roomId, r.type]), [[null, "m.direct"]]);
        assert.equal((await ad.changed(alice, null)).length, 2);
        assert.equal(await ad.maxStreamId(), 3);

        const rc = new SqlReceiptStore(db);
        await rc.put({ roomId: room, receiptType: "m.read", userId: bob, threadId: "", eventId: "$e1", ts: 5, streamId: 1 });
        await rc.put({ roomId: room, receiptType: "m.read", userId: bob, threadId: "", eventId: "$e2", ts: 6, streamId: 2 });
        const all = await rc.inRooms([room], null);
        assert.deepEqual(all.map((r) => r.eventId), ["$e2"]);
        assert.deepEqual(await rc.inRooms([room], 2), []);
        assert.equal(await rc.maxStreamId(), 2);

        const f = new SqlFilterStore(db);
        const id1 = await f.add(alice, '{"a":1}');
        const id2 = await f.add(alice, '{"a":2}');
        assert.notEqual(id1, id2);
        assert.equal(await f.get(alice, id2), '{"a":2}');
        assert.equal(await f.get(bob, id1), null);
      }));
  });
}
