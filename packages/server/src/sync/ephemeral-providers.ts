import type { RoomId } from "@axon/protocol";
import type { AccountDataService } from "../rooms/account-data-service";
import type { MembershipIndex } from "../rooms/membership-index";
import type { ReceiptService } from "../rooms/receipt-service";
import type { TypingService } from "../rooms/typing-service";
import { eventMatches } from "../rooms/room-service";
import type { StreamProvider, SyncRequest, SyncResponse } from "./stream-provider";
import { pushAccountData, pushRoomEvents, roomAllowed } from "./sync-response";
import { UserPositions } from "./user-positions";

/** m.typing in each joined room's ephemeral section. */
export class TypingProvider implements StreamProvider {
  readonly key = "typing";
  private readonly positions = new UserPositions();

  constructor(
    private readonly typing: TypingService,
    private readonly membership: MembershipIndex,
  ) {
    typing.onChange((roomId, position) => this.positions.bump(membership.joinedMembers(roomId), position));
  }

  latest(): number {
    return this.typing.latest();
  }

  fill(req: SyncRequest, from: number | null, to: number, res: SyncResponse): boolean {
    if (!this.positions.changedSince(req.userId, from)) return false;
    const f = req.filter.room?.ephemeral;
    if (f && !eventMatches(f, { type: "m.typing", sender: "" })) return false;
    let any = false;
    for (const roomId of this.membership.roomsOf(req.userId)) {
      if (!roomAllowed(req.filter, roomId, f)) continue;
      const position = this.typing.roomPosition(roomId);
      const typers = this.typing.typers(roomId);
      if (from === null ? typers.length === 0 : position <= from || position > to) continue;
      pushRoomEvents(res, "join", roomId, "ephemeral", [{ type: "m.typing", content: { user_ids: typers } }]);
      any = true;
    }
    return any;
  }
}

/** m.receipt in each joined room's ephemeral section. */
export class ReceiptsProvider implements StreamProvider {
  readonly key = "receipts";
  private readonly positions = new UserPositions();

  constructor(
    private readonly receipts: ReceiptService,
    private readonly membership: MembershipIndex,
  ) {
    receipts.onReceipt((r, audience) => this.positions.bump(audience, r.streamId));
  }

  start(): void {
    this.positions.setFloor(this.receipts.latest());
  }

  latest(): number {
    return this.receipts.latest();
  }

  fill(req: SyncRequest, from: number | null, to: number, res: SyncResponse): boolean | Promise<boolean> {
    if (!this.positions.changedSince(req.userId, from)) return false;
    return this.fillReceipts(req, from, to, res);
  }

  private async fillReceipts(req: SyncRequest, from: number | null, to: number, res: SyncResponse): Promise<boolean> {
    const f = req.filter.room?.ephemeral;
    if (f && !eventMatches(f, { type: "m.receipt", sender: "" })) return false;
    const rooms = [...this.membership.roomsOf(req.userId)].filter((r) => roomAllowed(req.filter, r, f));
    const byRoom = new Map<RoomId, Record<string, Record<string, Record<string, Record<string, unknown>>>>>();
    for (const r of await this.receipts.inRooms(rooms, from)) {
      if (r.streamId > to) continue;
      if (r.receiptType === "m.read.private" && r.userId !== req.userId) continue;
      const content = byRoom.get(r.roomId) ?? {};
      byRoom.set(r.roomId, content);
      const forEvent = (content[r.eventId] ??= {});
      const forType = (forEvent[r.receiptType] ??= {});
      forType[r.userId] = { ts: r.ts, ...(r.threadId !== "" && { thread_id: r.threadId }) };
    }
    for (const [roomId, content] of byRoom) pushRoomEvents(res, "join", roomId, "ephemeral", [{ type: "m.receipt", content }]);
    return byRoom.size > 0;
  }
}

/** Global account data, and per-room account data in joined rooms. */
export class AccountDataProvider implements StreamProvider {
  readonly key = "account_data";
  private readonly positions = new UserPositions();

  constructor(
    private readonly accountData: AccountDataService,
    private readonly membership: MembershipIndex,
  ) {
    accountData.onChange((userId, position) => this.positions.bump([userId], position));
  }

  start(): void {
    this.positions.setFloor(this.accountData.latest());
  }

  latest(): number {
    return this.accountData.latest();
  }

  fill(req: SyncRequest, from: number | null, to: number, res: SyncResponse): boolean | Promise<boolean> {
    if (!this.positions.changedSince(req.userId, from)) return false;
    return this.fillAccountData(req, from, to, res);
  }

  private async fillAccountData(req: SyncRequest, from: number | null, to: number, res: SyncResponse): Promise<boolean> {
    let any = false;
    for (const r of await this.accountData.changed(req.userId, from)) {
      if (r.streamId > to) continue;
      const event = { type: r.type, content: r.content };
      if (r.roomId === null) {
        if (!eventMatches(req.filter.account_data, { type: r.type, sender: req.userId })) continue;
        pushAccountData(res, event);
        any = true;
      } else if (this.membership.isJoined(r.roomId, req.userId)) {
        const f = req.filter.room?.account_data;
        if (!roomAllowed(req.filter, r.roomId, f) || !eventMatches(f, { type: r.type, sender: req.userId })) continue;
        pushRoomEvents(res, "join", r.roomId, "account_data", [event]);
        any = true;
      }
    }
    return any;
  }
}
