import type { RoomId, UserId } from "@axon/protocol";

export interface AccountDataRecord {
  /** null: global account data. */
  roomId: RoomId | null;
  type: string;
  content: Record<string, unknown>;
  streamId: number;
}

/** Per-user global and per-room account data, each write with a stream id. */
export interface AccountDataStore {
  put(userId: UserId, roomId: RoomId | null, type: string, content: Record<string, unknown>, streamId: number): Promise<void>;
  get(userId: UserId, roomId: RoomId | null, type: string): Promise<Record<string, unknown> | null>;
  /** Everything (after: null) or what changed after a stream id. */
  changed(userId: UserId, after: number | null): Promise<AccountDataRecord[]>;
  maxStreamId(): Promise<number>;
  /** Writes in (from, to], oldest first, whoever they belong to (another process's writes, in a cluster). */
  between(from: number, to: number): Promise<(AccountDataRecord & { userId: UserId })[]>;
  /** Every user's global account data of one type (for start-up caches). */
  everyonesGlobal(type: string): Promise<{ userId: UserId; content: Record<string, unknown> }[]>;
}

export interface ReceiptRecord {
  roomId: RoomId;
  receiptType: string;
  userId: UserId;
  /** "" when unthreaded. */
  threadId: string;
  eventId: string;
  ts: number;
  streamId: number;
}

/** The latest receipt per (room, type, user, thread). */
export interface ReceiptStore {
  put(r: ReceiptRecord): Promise<void>;
  /** Receipts in these rooms, all (after: null) or those written after a stream id. */
  inRooms(roomIds: RoomId[], after: number | null): Promise<ReceiptRecord[]>;
  maxStreamId(): Promise<number>;
  /** Receipts written in (from, to], oldest first, each with the stream ordering of its event (another process's writes, in a cluster). */
  between(from: number, to: number): Promise<{ receipt: ReceiptRecord; eventOrdering: number }[]>;
}

/** Stored /sync filters; ids are per user. */
export interface FilterStore {
  add(userId: UserId, filterJson: string): Promise<string>;
  get(userId: UserId, filterId: string): Promise<string | null>;
}
