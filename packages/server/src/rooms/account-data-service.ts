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

  /** In a cluster: writes another process made, read back in stream order (repeats are skipped). */
  follow(rows: (AccountDataRecord & { userId: UserId })[], upTo: number): void {
    const woken = new Set<UserId>();
    for (const r of rows) {
      if (r.streamId <= this.position) continue;
      for (const l of this.listeners) l(r.userId, r.streamId, { roomId: r.roomId, type: r.type, content: r.content });
      this.position = r.streamId;
      woken.add(r.userId);
    }
    // Rows overwritten since leave holes: the position still moves.
    if (upTo > this.position) this.position = upTo;
    this.notifier.wakeUsers(woken);
  }

  /** Writes in (from, to] by anyone, for a cluster follower catching up. */
  between(from: number, to: number): Promise<(AccountDataRecord & { userId: UserId })[]> {
    return this.store.between(from, to);
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
