import { invalidParam, type RoomId, type UserId } from "@axon/protocol";
import type { Clock } from "../clock";
import type { Logger } from "pino";
import { evaluatePush, type PushContext } from "../push/push-rule-evaluator";
import type { PushAction, Ruleset } from "../push/push-rule-types";
import { PUSH_RULES_TYPE, rulesFromContent } from "../push/push-rules-service";
import type { AccountDataService } from "../rooms/account-data-service";
import type { MembershipIndex } from "../rooms/membership-index";
import type { ReceiptService } from "../rooms/receipt-service";
import { clientEvent, type RoomEvent } from "../rooms/room-event";
import type { RoomStore } from "../rooms/room-store";
import type { RoomState, RoomWriter } from "../rooms/room-writer";
import type { SyncResponse } from "../sync/stream-provider";
import type { NotificationRecord, NotificationStore } from "./notification-store";
import { UnreadCounter } from "./unread-counts";

/** Told about each notifying (user, event), in the event's tick: it must only queue work, never wait. */
export type NotifyListener = (userId: UserId, event: RoomEvent, outcome: { highlight: boolean; actions: PushAction[] }) => void;

/** How long notifying rows wait in memory before they are written, at most. */
const FLUSH_DELAY_MS = 50;
/** How long the "evaluated up to" mark alone (no rows) may lag: a write a second at most, not one per batch window. */
const MARK_DELAY_MS = 1000;

/**
 * Push rules run for every event that reaches a joined member (not its sender): notifying events are
 * counted in memory at once (synchronously, before long-polls wake) and written to the database in
 * batches off the event's path. Counts feed `unread_notifications` in /sync; rows feed GET /notifications.
 */
export class NotificationService {
  private readonly counter = new UnreadCounter();
  /** Each user's effective rules, one object per user (the evaluator compiles it once). */
  private readonly rules = new Map<UserId, Ruleset>();
  private pending: NotificationRecord[] = [];
  /** The newest event written here that has been evaluated, and the newest such marker stored. */
  private evaluated = 0;
  private stored = 0;
  private timerDue = 0;
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private readonly notifyListeners: NotifyListener[] = [];

  constructor(
    private readonly d: {
      store: NotificationStore;
      roomStore: Pick<RoomStore, "getEvents" | "eventsBetween">;
      writer: Pick<RoomWriter, "onEvent" | "peekState" | "state" | "latest">;
      receipts: Pick<ReceiptService, "onReceipt">;
      accountData: Pick<AccountDataService, "onChange" | "everyonesGlobal">;
      membership: Pick<MembershipIndex, "isJoined" | "joinedMembers" | "roomsOf">;
      clock: Clock;
      log: Pick<Logger, "error">;
    },
  ) {}

  /** Loads rules, read markers and unread rows, then starts listening. Before the server answers requests. */
  async start(): Promise<void> {
    for (const { userId, content } of await this.d.accountData.everyonesGlobal(PUSH_RULES_TYPE)) this.rules.set(userId, rulesFromContent(userId, content));
    for (const m of await this.d.store.readMarkers()) this.counter.read(m.userId, m.roomId, m.streamOrdering);
    for (const r of await this.d.store.unreadRows()) this.counter.add(r.userId, r.roomId, r.streamOrdering, r.highlight);
    this.d.writer.onEvent((e, audience, local) => this.eventPersisted(e, audience, local));
    this.d.receipts.onReceipt((r, _audience, ordering) => {
      if (r.receiptType === "m.read" || r.receiptType === "m.read.private") this.counter.read(r.userId, r.roomId, ordering);
    });
    // The rules change in the same tick as the write, so the next event already sees them.
    this.d.accountData.onChange((userId, _position, change) => {
      if (change.roomId === null && change.type === PUSH_RULES_TYPE) this.rules.set(userId, rulesFromContent(userId, change.content));
    });
  }

  /**
   * Evaluates again the events written after the last batch that reached the database (a crash or a
   * killed owner loses at most the rows still in memory; inserting them again is harmless). Counts
   * and rows only: these are not pushed late. Run by the process that writes events, before it does.
   */
  async recover(): Promise<number> {
    const from = await this.d.store.evaluatedUpTo();
    const upTo = this.d.writer.latest();
    // A database from before the marker existed: start keeping it from here.
    let at = from ?? upTo;
    let n = 0;
    while (at < upTo) {
      const events = await this.d.roomStore.eventsBetween(at, upTo, 500);
      if (events.length === 0) break;
      for (const e of events) {
        const roomId = e.room_id as RoomId;
        await this.d.writer.state(roomId);
        this.eventPersisted(e, this.d.membership.joinedMembers(roomId), true, false);
        at = e.streamOrdering;
        n++;
      }
    }
    this.evaluated = Math.max(this.evaluated, upTo);
    await this.flush(true);
    return n;
  }

  /** Writes what is pending; the server calls it before closing the database. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Listens for each notifying (user, event), told after the counts include it (pushers deliver from here). */
  onNotify(listener: NotifyListener): void {
    this.notifyListeners.push(listener);
  }

  /** The user's unread notifications across their joined rooms (a push's badge count). */
  unreadTotal(userId: UserId): number {
    let n = 0;
    for (const roomId of this.d.membership.roomsOf(userId)) n += this.counter.counts(userId, roomId).notification_count;
    return n;
  }

  counts(userId: UserId, roomId: RoomId): { notification_count: number; highlight_count: number } {
    return this.counter.counts(userId, roomId);
  }

  /** Sets `unread_notifications` on every joined room of a /sync response. */
  fillCounts(userId: UserId, res: SyncResponse): void {
    const join = (res.rooms as { join?: Record<string, Record<string, unknown>> } | undefined)?.join;
    if (!join) return;
    for (const roomId in join) join[roomId]!.unread_notifications = { ...this.counter.counts(userId, roomId) };
  }

  /** GET /notifications: newest first, `from` is the previous page's next_token. */
  async list(userId: UserId, q: { from: string | null; limit: number; onlyHighlight: boolean }): Promise<{ notifications: Record<string, unknown>[]; next_token?: string }> {
    let before: number | null = null;
    if (q.from !== null) {
      if (!/^[0-9]{1,15}$/.test(q.from)) throw invalidParam("Invalid 'from' token.");
      before = Number(q.from);
    }
    await this.flush();
    const rows = await this.d.store.page(userId, { before, limit: q.limit, onlyHighlight: q.onlyHighlight });
    const events = new Map((await this.d.roomStore.getEvents(rows.map((r) => r.eventId))).map((e) => [e.event_id, e]));
    const now = this.d.clock.now();
    const notifications: Record<string, unknown>[] = [];
    for (const r of rows) {
      const e = events.get(r.eventId);
      if (!e) continue;
      notifications.push({
        actions: r.actions,
        event: clientEvent(e, now),
        read: r.streamOrdering <= this.counter.readUpTo(userId, r.roomId),
        room_id: r.roomId,
        ts: r.ts,
      });
    }
    const last = rows[rows.length - 1];
    return { notifications, ...(rows.length === q.limit && last && { next_token: String(last.streamOrdering) }) };
  }

  /** Counts for every event; rows and pushes only for events written here (in a cluster, the writer's job). */
  private eventPersisted(e: RoomEvent, audience: ReadonlySet<UserId>, local: boolean, push = local): void {
    if (local && e.streamOrdering > this.evaluated) this.evaluated = e.streamOrdering;
    const roomId = e.room_id as RoomId;
    const state = this.d.writer.peekState(roomId);
    if (!state) return;
    const memberCount = this.d.membership.joinedMembers(roomId).size;
    const { senderPowerLevel, notificationLevels } = powerOf(state, e.sender);
    for (const userId of audience) {
      if (userId === e.sender || !this.d.membership.isJoined(roomId, userId)) continue;
      const member = state.get("m.room.member", userId)?.content.displayname;
      const ctx: PushContext = { userId, displayName: typeof member === "string" ? member : null, memberCount, senderPowerLevel, notificationLevels };
      const outcome = evaluatePush(this.rulesOf(userId), e, ctx);
      if (!outcome.notify) continue;
      this.counter.add(userId, roomId, e.streamOrdering, outcome.highlight);
      if (!local) continue;
      this.pending.push({ userId, roomId, streamOrdering: e.streamOrdering, eventId: e.event_id, highlight: outcome.highlight, actions: outcome.actions, ts: e.origin_server_ts });
      if (push) for (const l of this.notifyListeners) this.tell(l, userId, e, outcome);
    }
    // The marker moves with the rows (or alone): a restart evaluates again only what came after it.
    if (local) this.flushWithin(this.pending.length > 0 ? FLUSH_DELAY_MS : MARK_DELAY_MS);
  }

  private tell(listener: NotifyListener, userId: UserId, e: RoomEvent, outcome: { highlight: boolean; actions: PushAction[] }): void {
    try {
      listener(userId, e, outcome);
    } catch (err) {
      this.d.log.error({ err }, "a notification listener failed");
    }
  }

  private rulesOf(userId: UserId): Ruleset {
    let r = this.rules.get(userId);
    // Every stored ruleset was loaded at start-up and is reloaded on change: a user missing here has none.
    if (!r) this.rules.set(userId, (r = rulesFromContent(userId, null)));
    return r;
  }

  /** Makes sure a flush happens within `ms` (an earlier one already planned stays). */
  private flushWithin(ms: number): void {
    const due = Date.now() + ms;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => void this.flushQuietly(), ms);
  }

  private flushQuietly(): Promise<void> {
    return this.flush().catch((err: unknown) => this.d.log.error({ err }, "writing notifications failed"));
  }

  /** Writes the pending rows, one batch at a time (a failed batch is put back for the next try). */
  private flush(force = false): Promise<void> {
    this.timer = null;
    const run = this.flushing.then(async () => {
      const batch = this.pending;
      const upTo = this.evaluated;
      if (batch.length === 0 && upTo <= this.stored && !force) return;
      this.pending = [];
      try {
        await this.d.store.insert(batch, upTo);
        this.stored = Math.max(this.stored, upTo);
      } catch (err) {
        this.pending = batch.concat(this.pending);
        this.flushWithin(1000);
        throw err;
      }
    });
    this.flushing = run.catch(() => {});
    return run;
  }
}

/** The sender's power level and the room's `notifications` levels, from m.room.power_levels (creator 100 without one). */
function powerOf(state: RoomState, sender: string): { senderPowerLevel: number; notificationLevels: Record<string, number> } {
  const pl = state.get("m.room.power_levels", "")?.content;
  if (!pl) return { senderPowerLevel: state.get("m.room.create", "")?.sender === sender ? 100 : 0, notificationLevels: {} };
  const users = typeof pl.users === "object" && pl.users !== null ? (pl.users as Record<string, unknown>) : {};
  const own = users[sender];
  const senderPowerLevel = typeof own === "number" ? own : typeof pl.users_default === "number" ? pl.users_default : 0;
  const notificationLevels: Record<string, number> = {};
  if (typeof pl.notifications === "object" && pl.notifications !== null) {
    for (const [k, v] of Object.entries(pl.notifications as Record<string, unknown>)) if (typeof v === "number") notificationLevels[k] = v;
  }
  return { senderPowerLevel, notificationLevels };
}
