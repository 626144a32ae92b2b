import { forbidden, type RoomId } from "@axon/protocol";
import type { Actor, RoomService } from "../rooms/room-service";
import { actionLevel, powerLevelOf } from "../rooms/room-auth";
import type { RoomStore } from "../rooms/room-store";
import type { RoomWriter } from "../rooms/room-writer";

/**
 * PUT /rooms/{roomId}/redact/{eventId}/{txnId}: anyone may redact their own events; others' need
 * the room's `redact` power level. Persisting the redaction prunes the target for good (storage)
 * and in every in-memory copy (cache-patch.ts); the redaction reaches clients like any event.
 */
export class RedactionService {
  constructor(
    private readonly rooms: RoomService,
    private readonly store: Pick<RoomStore, "findTxn">,
    private readonly writer: Pick<RoomWriter, "exclusive" | "append" | "state">,
  ) {}

  async redact(actor: Actor, roomId: RoomId, eventId: string, reason: string | undefined, txnId: string): Promise<string> {
    const target = await this.rooms.getEvent(actor.userId, roomId, eventId);
    return this.writer.exclusive(async () => {
      const existing = await this.store.findTxn(actor.userId, actor.deviceId, txnId);
      if (existing) return existing;
      const state = await this.writer.state(roomId);
      if (!state) throw forbidden("You are not in this room.");
      if (target.sender !== actor.userId && powerLevelOf(state, actor.userId) < actionLevel(state, "redact")) {
        throw forbidden("You need a higher power level to redact other people's events.");
      }
      const content = { redacts: eventId, ...(reason !== undefined && { reason }) };
      const [e] = await this.writer.append(roomId, [{ type: "m.room.redaction", sender: actor.userId, content }], { txn: { deviceId: actor.deviceId, txnId } });
      return e!.event_id;
    });
  }
}
