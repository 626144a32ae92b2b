import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RoomId } from "@axon/protocol";
import { RecentEvents } from "./recent-events";
import type { RoomEvent } from "./room-event";
import type { RoomStore } from "./room-store";
import type { EventListener } from "./room-writer";

const ROOM = "!a:t" as RoomId;
const OTHER = "!b:t" as RoomId;

function event(roomId: RoomId, ordering: number): RoomEvent {
  return {
    event_id: `$${roomId}-${ordering}`,
    room_id: roomId,
    sender: "@u:t",
    type: "m.room.message",
    content: { body: String(ordering) },
    origin_server_ts: ordering,
    depth: ordering,
    prev_events: [],
    auth_events: [],
    streamOrdering: ordering,
  };
}

/** The store's answer, from a plain list: what the cache must agree with. */
class ListStore {
  readonly events: RoomEvent[] = [];
  reads = 0;
  /** When set, reads wait for it (to announce events while a load runs), before or after taking their rows. */
  gate: { open: Promise<void>; takeRows: "before" | "after" } | null = null;

  async roomEvents(roomId: RoomId, q: { from: number; dir: "b" | "f"; limit: number }): Promise<RoomEvent[]> {
    assert.equal(q.dir, "b");
    this.reads++;
    const gate = this.gate;
    if (gate?.takeRows === "after") await gate.open;
    const answer = this.events
      .filter((e) => e.room_id === roomId && e.streamOrdering <= q.from)
      .sort((a, b) => b.streamOrdering - a.streamOrdering)
      .slice(0, q.limit);
    if (gate?.takeRows === "before") await gate.open;
    return answer;
  }
}

function setUp(keep = 5, maxRooms = 10) {
  const store = new ListStore();
  const listeners: EventListener[] = [];
  const cache = new RecentEvents(store as unknown as RoomStore, { onEvent: (l) => listeners.push(l) }, keep, maxRooms);
  /** Persists and announces, as the writer does. */
  const persist = (e: RoomEvent) => {
    store.events.push(e);
    for (const l of listeners) l(e, new Set(), true);
  };
  const ids = (events: RoomEvent[]) => events.map((e) => e.streamOrdering);
  return { store, cache, persist, ids };
}

describe("RecentEvents", () => {
  it("answers as the store does, for every position and limit, inside and beyond what it keeps", async () => {
    const { store, cache, persist, ids } = setUp(5);
    for (let i = 1; i <= 12; i++) persist(event(i % 3 === 0 ? OTHER : ROOM, i));
    for (let upTo = 0; upTo <= 13; upTo++) {
      for (let limit = 1; limit <= 9; limit++) {
        const expected = ids(await store.roomEvents(ROOM, { from: upTo, dir: "b", limit }));
        assert.deepEqual(ids(await cache.latest(ROOM, upTo, limit)), expected, `upTo ${upTo}, limit ${limit}`);
      }
    }
  });

  it("reads a room from the database once, then follows new events", async () => {
    const { store, cache, persist, ids } = setUp(5);
    for (let i = 1; i <= 3; i++) persist(event(ROOM, i));
    assert.deepEqual(ids(await cache.latest(ROOM, 100, 4)), [3, 2, 1]);
    const readsAfterLoad = store.reads;
    persist(event(ROOM, 4));
    persist(event(OTHER, 5));
    persist(event(ROOM, 6));
    assert.deepEqual(ids(await cache.latest(ROOM, 100, 4)), [6, 4, 3, 2]);
    assert.deepEqual(ids(await cache.latest(ROOM, 4, 10)), [4, 3, 2, 1], "a small room is kept whole");
    assert.equal(store.reads, readsAfterLoad, "answered from memory");
  });

  it("keeps an event announced while the room was being read, once", async () => {
    const { store, cache, persist, ids } = setUp(5);
    persist(event(ROOM, 1));
    let open!: () => void;
    store.gate = { open: new Promise((resolve) => (open = resolve)), takeRows: "before" };
    const first = cache.latest(ROOM, 100, 5);
    const second = cache.latest(ROOM, 100, 5);
    persist(event(ROOM, 2)); // after the read took its rows, before it answered
    store.gate = null;
    open();
    assert.deepEqual(ids(await first), [2, 1]);
    assert.deepEqual(ids(await second), [2, 1]);
    assert.deepEqual(ids(await cache.latest(ROOM, 100, 5)), [2, 1]);
    assert.deepEqual(ids(await cache.latest(ROOM, 1, 5)), [1]);
    assert.equal(store.reads, 1, "concurrent readers share one load");
  });

  it("does not repeat an event that both the read and the announcement saw", async () => {
    const { store, cache, persist, ids } = setUp(5);
    let open!: () => void;
    store.gate = { open: new Promise((resolve) => (open = resolve)), takeRows: "after" };
    const pending = cache.latest(ROOM, 100, 5);
    persist(event(ROOM, 1)); // announced during the load, which then reads it too
    store.gate = null;
    open();
    await pending;
    persist(event(ROOM, 2));
    assert.deepEqual(ids(await cache.latest(ROOM, 100, 5)), [2, 1]);
  });

  it("forgets the room read least recently when full", async () => {
    const { store, cache, persist } = setUp(5, 2);
    const third = "!c:t" as RoomId;
    for (const [i, r] of [ROOM, OTHER, third].entries()) persist(event(r, i + 1));
    await cache.latest(ROOM, 100, 1);
    await cache.latest(OTHER, 100, 1);
    await cache.latest(ROOM, 100, 1); // ROOM is now the most recent
    await cache.latest(third, 100, 1); // evicts OTHER
    const reads = store.reads;
    await cache.latest(ROOM, 100, 1);
    assert.equal(store.reads, reads, "ROOM still kept");
    await cache.latest(OTHER, 100, 1);
    assert.equal(store.reads, reads + 1, "OTHER read again");
  });
});
