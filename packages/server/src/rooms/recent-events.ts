import type { RoomId } from "@axon/protocol";
import type { RoomEvent } from "./room-event";
import type { RoomStore } from "./room-store";
import type { RoomWriter } from "./room-writer";

/** What the cache needs of the writer: to hear of every persisted event. */
export type EventSource = Pick<RoomWriter, "onEvent">;

/** Events kept per room: an initial sync asks for its timeline limit plus one (11 by default). */
const KEEP_PER_ROOM = 32;
/** Rooms kept; the least recently read goes first. */
const MAX_ROOMS = 4096;

interface Entry {
  /** The room's newest events, newest first, with no gap. */
  newestFirst: readonly RoomEvent[];
  /** Holds every event of the room (it has fewer than KEEP_PER_ROOM). */
  complete: boolean;
}

/**
 * The newest events of recently read rooms, kept in memory and current as the writer announces
 * new ones, so that initial syncs of people sharing a room (the morning rush) read the database
 * once per room instead of once per person. Anything the cache cannot answer goes to the store.
 */
export class RecentEvents {
  private readonly rooms = new Map<RoomId, Entry>();
  /** Loads in flight, with the events announced while they run (the load may or may not see them). */
  private readonly loading = new Map<RoomId, { done: Promise<Entry>; arrived: RoomEvent[] }>();

  constructor(
    private readonly store: RoomStore,
    writer: EventSource,
    private readonly keep = KEEP_PER_ROOM,
    private readonly maxRooms = MAX_ROOMS,
  ) {
    writer.onEvent((e) => this.added(e));
  }

  /** At most `limit` events of the room with stream ordering <= upTo, newest first (as RoomStore.roomEvents backwards). */
  async latest(roomId: RoomId, upTo: number, limit: number): Promise<RoomEvent[]> {
    let entry = this.rooms.get(roomId);
    if (entry) {
      // Most recently read last: eviction takes the first.
      this.rooms.delete(roomId);
      this.rooms.set(roomId, entry);
    } else {
      entry = await this.load(roomId);
    }
    const out: RoomEvent[] = [];
    for (const e of entry.newestFirst) {
      if (out.length === limit) break;
      if (e.streamOrdering <= upTo) out.push(e);
    }
    if (out.length === limit || entry.complete) return out;
    // Older than what is kept: ask the database.
    return this.store.roomEvents(roomId, { from: upTo, dir: "b", limit });
  }

  /** Replaces a kept event with what `fn` makes of it (a redaction or a new relation changed the stored one). */
  replace(roomId: RoomId, eventId: string, fn: (e: RoomEvent) => RoomEvent): void {
    const entry = this.rooms.get(roomId);
    const i = entry ? entry.newestFirst.findIndex((e) => e.event_id === eventId) : -1;
    if (!entry || i < 0) return;
    const events = [...entry.newestFirst];
    events[i] = fn(events[i]!);
    this.rooms.set(roomId, { ...entry, newestFirst: events });
  }

  private added(e: RoomEvent): void {
    const roomId = e.room_id as RoomId;
    this.loading.get(roomId)?.arrived.push(e);
    const entry = this.rooms.get(roomId);
    if (entry) this.rooms.set(roomId, trimmed([e, ...entry.newestFirst], entry.complete, this.keep));
  }

  private load(roomId: RoomId): Promise<Entry> {
    const inFlight = this.loading.get(roomId);
    if (inFlight) return inFlight.done;
    const arrived: RoomEvent[] = [];
    const done = this.store.roomEvents(roomId, { from: Number.MAX_SAFE_INTEGER, dir: "b", limit: this.keep }).then(
      (rows) => {
        this.loading.delete(roomId);
        // Events announced during the read that it did not see go in front.
        const newest = rows[0]?.streamOrdering ?? Number.NEGATIVE_INFINITY;
        const unseen = arrived.filter((e) => e.streamOrdering > newest).sort((a, b) => b.streamOrdering - a.streamOrdering);
        const entry = trimmed([...unseen, ...rows], rows.length < this.keep, this.keep);
        this.rooms.set(roomId, entry);
        if (this.rooms.size > this.maxRooms) this.rooms.delete(this.rooms.keys().next().value as RoomId);
        return entry;
      },
      (err: unknown) => {
        this.loading.delete(roomId);
        throw err;
      },
    );
    this.loading.set(roomId, { done, arrived });
    return done;
  }
}

function trimmed(newestFirst: RoomEvent[], complete: boolean, keep: number): Entry {
  if (newestFirst.length <= keep) return { newestFirst, complete };
  return { newestFirst: newestFirst.slice(0, keep), complete: false };
}
