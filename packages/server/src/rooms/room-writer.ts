import { randomBytes } from "node:crypto";
import type { DeviceId, RoomId, UserId } from "@axon/protocol";
import type { Clock } from "../clock";
import type { PresenceHooks } from "../presence/presence-hooks";
import type { Notifier } from "../sync/notifier";
import type { MembershipIndex } from "./membership-index";
import { authorize, type ProtoEvent, type StateLookup } from "./room-auth";
import { stateKeyOf, type RoomEvent } from "./room-event";
import type { RoomRecord, RoomStore } from "./room-store";

/** A room's current state and forward extremity, kept in memory once loaded (this process is the only writer). */
export class RoomState implements StateLookup {
  constructor(
    readonly byKey: Map<string, RoomEvent>,
    public lastEventId: string | null,
    public depth: number,
  ) {}

  get(type: string, stateKey: string): RoomEvent | undefined {
    return this.byKey.get(stateKeyOf(type, stateKey));
  }

  events(): RoomEvent[] {
    return [...this.byKey.values()].sort((a, b) => a.streamOrdering - b.streamOrdering);
  }

  apply(e: RoomEvent): void {
    if (e.state_key !== undefined) this.byKey.set(stateKeyOf(e.type, e.state_key), e);
    this.lastEventId = e.event_id;
    this.depth = e.depth;
  }

  clone(): RoomState {
    return new RoomState(new Map(this.byKey), this.lastEventId, this.depth);
  }
}

/**
 * Told about every persisted event and who should see it, before long-polls are woken. `local` is
 * false for an event another process of a cluster wrote (side effects such as writing rows or pushing
 * belong to the process that wrote it).
 */
export type EventListener = (event: RoomEvent, audience: ReadonlySet<UserId>, local: boolean) => void;

export const newEventId = () => `$${randomBytes(32).toString("base64url")}`;

/**
 * The one path by which events enter rooms: authorise against current state, persist, then update the
 * membership index, tell listeners and wake the audience. Writes are serialised so that stream orderings
 * commit in order (a /sync at position N never misses an event below N).
 */
export class RoomWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private position = 0;
  private readonly states = new Map<RoomId, RoomState>();
  /** Bumped when a followed event touches a room: a state load that began before it must not be cached. */
  private readonly generations = new Map<RoomId, number>();
  private readonly listeners: EventListener[] = [];

  constructor(
    private readonly store: RoomStore,
    private readonly membership: MembershipIndex,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly hooks: PresenceHooks,
  ) {}

  /** Loads the stream position and fills the membership index from the database. */
  async start(): Promise<void> {
    this.position = await this.store.maxStreamOrdering();
    for (const { roomId, userId } of await this.store.allJoins()) this.membership.join(roomId, userId);
  }

  /** The newest committed stream ordering. */
  latest(): number {
    return this.position;
  }

  onEvent(listener: EventListener): void {
    this.listeners.push(listener);
  }

  /** Runs fn with no other write in progress. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  /** The room's current state if it is loaded, without loading it. */
  peekState(roomId: RoomId): RoomState | undefined {
    return this.states.get(roomId);
  }

  /** The room's current state, or null when there is no such room. */
  async state(roomId: RoomId): Promise<RoomState | null> {
    const cached = this.states.get(roomId);
    if (cached) return cached;
    const generation = this.generations.get(roomId);
    const events = await this.store.currentState(roomId);
    if (events.length === 0) return null;
    const [last] = await this.store.roomEvents(roomId, { from: Number.MAX_SAFE_INTEGER, dir: "b", limit: 1 });
    const state = new RoomState(new Map(events.map((e) => [stateKeyOf(e.type, e.state_key ?? ""), e])), last?.event_id ?? null, last?.depth ?? 0);
    // Another caller may have loaded it meanwhile; keep the first so writers share one object.
    const again = this.states.get(roomId);
    if (again) return again;
    if (this.generations.get(roomId) === generation) this.states.set(roomId, state);
    return state;
  }

  /**
   * Authorises and persists events into one room, in order, atomically. Call inside exclusive().
   * `newRoom` creates the room (the first event must be m.room.create).
   */
  async append(roomId: RoomId, protos: ProtoEvent[], opts: { newRoom?: RoomRecord; txn?: { deviceId: DeviceId; txnId: string } } = {}): Promise<RoomEvent[]> {
    const current = opts.newRoom ? new RoomState(new Map(), null, 0) : await this.state(roomId);
    if (!current) throw new Error(`append to unknown room ${roomId}`);
    // A batch is checked against a copy, so a refusal half-way changes nothing.
    const working = protos.length > 1 ? current.clone() : current;
    const built: RoomEvent[] = [];
    let ordering = this.position;
    for (const p of protos) {
      authorize(working, p);
      const e = this.build(roomId, p, working, ++ordering, protos.length === 1 ? opts.txn : undefined);
      built.push(e);
      if (working !== current) working.apply(e);
    }
    await this.store.persistEvents(built, opts.newRoom);
    this.position = ordering;
    if (opts.newRoom) this.states.set(roomId, working);
    else if (working === current) for (const e of built) current.apply(e);
    else this.states.set(roomId, working);
    for (const e of built) this.announce(e, true);
    return built;
  }

  /**
   * In a cluster, events another process committed (read back in stream order) enter this process as
   * if written here: the state of loaded rooms, the position, the membership index, listeners (with
   * `local` false) and wake-ups. Events at or below the position are skipped, so a repeat is harmless.
   */
  follow(events: RoomEvent[]): void {
    for (const e of events) {
      if (e.streamOrdering <= this.position) continue;
      const roomId = e.room_id as RoomId;
      this.generations.set(roomId, (this.generations.get(roomId) ?? 0) + 1);
      this.states.get(roomId)?.apply(e);
      this.position = e.streamOrdering;
      this.announce(e, false);
    }
  }

  /** Moves the position to one read from the database (a follower catching up on a stream with no events to apply). */
  followTo(position: number): void {
    if (position > this.position) this.position = position;
  }

  /** Drops cached room states: a process about to write after following reloads them from the database. */
  forgetStates(): void {
    this.states.clear();
  }

  private build(roomId: RoomId, p: ProtoEvent, state: RoomState, ordering: number, txn?: { deviceId: DeviceId; txnId: string }): RoomEvent {
    const authIds = new Set<string>();
    const add = (type: string, key: string) => {
      const id = state.get(type, key)?.event_id;
      if (id) authIds.add(id);
    };
    if (p.type !== "m.room.create") {
      add("m.room.create", "");
      add("m.room.power_levels", "");
      add("m.room.member", p.sender);
      if (p.type === "m.room.member" && p.state_key !== undefined) {
        add("m.room.member", p.state_key);
        if (p.content.membership === "join" || p.content.membership === "invite") add("m.room.join_rules", "");
      }
    }
    const replaced = p.state_key !== undefined ? state.get(p.type, p.state_key) : undefined;
    return {
      event_id: newEventId(),
      room_id: roomId,
      sender: p.sender,
      type: p.type,
      ...(p.state_key !== undefined && { state_key: p.state_key }),
      content: p.content,
      origin_server_ts: this.clock.now(),
      depth: state.depth + 1,
      prev_events: state.lastEventId ? [state.lastEventId] : [],
      auth_events: [...authIds],
      ...(replaced && { unsigned: { replaces_state: replaced.event_id, prev_content: replaced.content, prev_sender: replaced.sender } }),
      streamOrdering: ordering,
      ...(txn && { txn }),
    };
  }

  private announce(e: RoomEvent, local: boolean): void {
    const roomId = e.room_id as RoomId;
    const extra: UserId[] = [];
    if (e.type === "m.room.member" && e.state_key !== undefined) {
      const target = e.state_key as UserId;
      if (e.content.membership === "join") this.membership.join(roomId, target);
      else this.membership.leave(roomId, target);
      extra.push(target);
    }
    const audience = new Set<UserId>(this.membership.joinedMembers(roomId));
    for (const u of extra) audience.add(u);
    for (const l of this.listeners) l(e, audience, local);
    if (local) this.hooks.eventPersisted(e);
    this.notifier.wakeUsers(audience);
  }
}
