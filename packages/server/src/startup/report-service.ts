import { MatrixError, notFound, type RoomId, type UserId } from "@axon/protocol";
import type { Clock } from "../clock";
import type { RoomService } from "../rooms/room-service";
import type { ReportStore } from "./report-store";

/** POST /rooms/{roomId}/report[/{eventId}]: stores what users report, for the operator. */
export class ReportService {
  constructor(
    private readonly store: ReportStore,
    private readonly rooms: RoomService,
    private readonly clock: Clock,
  ) {}

  /** An event the reporter can see; one they cannot is "not found", so reports reveal nothing. */
  async reportEvent(reporter: UserId, roomId: RoomId, eventId: string, reason: string | null, score: number | null): Promise<void> {
    try {
      await this.rooms.getEvent(reporter, roomId, eventId);
    } catch (err) {
      if (err instanceof MatrixError && (err.status === 403 || err.status === 404)) throw notFound("Event not found, or you are not in its room.");
      throw err;
    }
    await this.store.add({ reporter, roomId, eventId, reason, score, receivedAt: this.clock.now() });
  }

  /** A room that exists (anyone may report one: it may be the invite that offends). */
  async reportRoom(reporter: UserId, roomId: RoomId, reason: string): Promise<void> {
    if (!(await this.rooms.roomState(roomId))) throw notFound("Room not found.");
    await this.store.add({ reporter, roomId, eventId: null, reason, score: null, receivedAt: this.clock.now() });
  }
}
