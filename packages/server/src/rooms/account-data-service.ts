import type { RoomId, UserId } from "@axon/protocol";
import type { Notifier } from "../sync/notifier";
import { Serial } from "../sync/serial";
import type { AccountDataRecord, AccountDataStore } from "./ephemeral-store";

/** Told about each write: whose, its stream id, and what was written. */
export type AccountDataListener = (userId: UserId, position: number, change: { roomId: RoomId | null; type: string; content: Record<string, unknown> }) => void;

/** Global and per-room account data, each write with a stream id for /sync. */
export class AccountDataService {
  private position = 0;
  private readonly serial = new Serial();
  private readonly listeners: AccountDataListener[] = [];

  constructor(
    private readonly store: AccountDataStore,
    private readonly notifier: Notifier,
  ) {}

  async start(): Promise<void> {
    this.position = await this.store.maxStreamId();
  }

  latest(): number {
    return this.position;
  }

  onChange(listener: AccountDataListener): void {
    this.listeners.push(listener);
  }

  async put(userId: UserId, roomId: RoomId | null, type: string, content: Record<string, unknown>): Promise<void> {
    await this.serial.run(async () => {
      const position = this.position + 1;
      await this.store.put(userId, roomId, type, content, position);
      // Listeners first, in the same tick: a /sync that sees the new latest() also sees who it concerns.
      for (const l of this.listeners) l(userId, position, { roomId, type, content });
      this.position = position;
    });
    this.notifier.wakeUsers([userId]);
  }

  get(userId: UserId, roomId: RoomId | null, type: string): Promise<Record<string, unknown> | null> {
    return this.store.get(userId, roomId, type);
  }

  /** Every user's global account data of one type, for caches filled at start-up. */
  everyonesGlobal(type: string): Promise<{ userId: UserId; content: Record<string, unknown> }[]> {
    return this.store.everyonesGlobal(type);
  }

  changed(userId: UserId, after: number | null): Promise<AccountDataRecord[]> {
    return this.store.changed(userId, after);
  }
}
