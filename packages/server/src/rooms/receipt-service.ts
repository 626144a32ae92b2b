import { forbidden, invalidParam, type RoomId, type UserId } from "@axon/protocol";
import type { Clock } from "../clock";
import type { PresenceHooks } from "../presence/presence-hooks";
import type { Notifier } from "../sync/notifier";
import { Serial } from "../sync/serial";
import type { ReceiptRecord, ReceiptStore } from "./ephemeral-store";
import type { MembershipIndex } from "./membership-index";
import type { Actor, RoomService } from "./room-service";

export const RECEIPT_TYPES = ["m.read", "m.read.private"] as const;

/** Told about each receipt, who sees it, and the stream ordering of the event it points at. */
export type ReceiptListener = (r: ReceiptRecord, audience: Iterable<UserId>, eventOrdering: number) => void;

/** Read receipts, persisted, each with a stream id for /sync. */
export class ReceiptService {
  private position = 0;
  private readonly serial = new Serial();
  private readonly listeners: ReceiptListener[] = [];

  constructor(
    private readonly store: ReceiptStore,
    private readonly rooms: RoomService,
    private readonly membership: MembershipIndex,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly hooks: PresenceHooks,
  ) {}

  async start(): Promise<void> {
    this.position = await this.store.maxStreamId();
  }

  latest(): number {
    return this.position;
  }

  onReceipt(listener: ReceiptListener): void {
    this.listeners.push(listener);
  }

  async setReceipt(actor: Actor, roomId: RoomId, receiptType: string, eventId: string, threadId?: string): Promise<void> {
    if (!(RECEIPT_TYPES as readonly string[]).includes(receiptType)) throw invalidParam(`Unknown receipt type ${receiptType}.`);
    if (!this.membership.isJoined(roomId, actor.userId)) throw forbidden("You are not in this room.");
    this.hooks.activity(actor.userId, actor.deviceId);
    const target = await this.rooms.getEvent(actor.userId, roomId, eventId);
    const audience = await this.serial.run(async () => {
      const r: ReceiptRecord = {
        roomId,
        receiptType,
        userId: actor.userId,
        threadId: threadId ?? "",
        eventId,
        ts: this.clock.now(),
        streamId: this.position + 1,
      };
      await this.store.put(r);
      // A private receipt is for the user's own devices only.
      const audience = receiptType === "m.read.private" ? [actor.userId] : [...this.membership.joinedMembers(roomId)];
      // Listeners first, in the same tick: a /sync that sees the new latest() also sees who it concerns.
      for (const l of this.listeners) l(r, audience, target.streamOrdering);
      this.position = r.streamId;
      return audience;
    });
    this.notifier.wakeUsers(audience);
  }

  /** In a cluster: receipts another process wrote, read back in stream order (repeats are skipped). */
  follow(rows: { receipt: ReceiptRecord; eventOrdering: number }[], upTo: number): void {
    const woken = new Set<UserId>();
    for (const { receipt: r, eventOrdering } of rows) {
      if (r.streamId <= this.position) continue;
      const audience = r.receiptType === "m.read.private" ? [r.userId] : [...this.membership.joinedMembers(r.roomId)];
      for (const l of this.listeners) l(r, audience, eventOrdering);
      this.position = r.streamId;
      for (const u of audience) woken.add(u);
    }
    // Rows overwritten since (a newer receipt of the same kind) leave holes: the position still moves.
    if (upTo > this.position) this.position = upTo;
    this.notifier.wakeUsers(woken);
  }

  /** Receipts written in (from, to] by anyone, for a cluster follower catching up. */
  between(from: number, to: number): Promise<{ receipt: ReceiptRecord; eventOrdering: number }[]> {
    return this.store.between(from, to);
  }

  inRooms(roomIds: RoomId[], after: number | null): Promise<ReceiptRecord[]> {
    return this.store.inRooms(roomIds, after);
  }
}
