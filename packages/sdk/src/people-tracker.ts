import { Emitter } from "./emitter";
import type { SyncLoop } from "./sync-loop";
import type { JoinedRoomSync, SyncResponse } from "./types";

export interface Person {
  userId: string;
  displayName: string | null;
}

/** Everyone who shares a joined room with you, with a display name, kept current from sync's member events. */
export class PeopleTracker extends Emitter<{ change: [] }> {
  /** Room id → joined members (user id → display name). */
  private readonly rooms = new Map<string, Map<string, string | null>>();

  constructor(private readonly ownUserId: string) {
    super();
  }

  attach(loop: SyncLoop): () => void {
    return loop.on("sync", (res) => this.ingest(res));
  }

  ingest(res: SyncResponse): void {
    const before = this.signature();
    for (const roomId of Object.keys(res.rooms?.leave ?? {})) this.rooms.delete(roomId);
    for (const [roomId, room] of Object.entries(res.rooms?.join ?? {})) this.ingestRoom(roomId, room);
    if (this.signature() !== before) this.emit("change");
  }

  private ingestRoom(roomId: string, room: JoinedRoomSync): void {
    let members = this.rooms.get(roomId);
    if (!members) this.rooms.set(roomId, (members = new Map()));
    for (const ev of [...(room.state?.events ?? []), ...(room.timeline?.events ?? [])]) {
      if (ev.type !== "m.room.member" || typeof ev.state_key !== "string") continue;
      if (ev.content.membership === "join") {
        const name = typeof ev.content.displayname === "string" && ev.content.displayname.trim() !== "" ? ev.content.displayname : null;
        members.set(ev.state_key, name);
      } else {
        members.delete(ev.state_key);
      }
    }
    // We left (it also comes as rooms.leave, but a member event in the timeline says it first).
    if (!members.has(this.ownUserId) && members.size > 0 && [...(room.timeline?.events ?? [])].some((e) => e.state_key === this.ownUserId)) {
      this.rooms.delete(roomId);
    }
  }

  /** Everyone but you who shares at least one joined room with you, sorted by user id. */
  people(): Person[] {
    const byId = new Map<string, string | null>();
    for (const members of this.rooms.values()) {
      for (const [userId, name] of members) {
        if (userId === this.ownUserId) continue;
        if (!byId.has(userId) || (byId.get(userId) === null && name !== null)) byId.set(userId, name);
      }
    }
    return [...byId.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([userId, displayName]) => ({ userId, displayName }));
  }

  /** The display name you gave yourself in any joined room. */
  ownDisplayName(): string | null {
    for (const members of this.rooms.values()) {
      const name = members.get(this.ownUserId);
      if (name) return name;
    }
    return null;
  }

  private signature(): string {
    return JSON.stringify(this.people());
  }
}
