import type { RoomId, UserId } from "@axon/protocol";
import type { Membership, RoomEvent } from "./room-event";

export interface RoomRecord {
  roomId: RoomId;
  roomVersion: string;
  creator: UserId;
  isPublic: boolean;
  createdTs: number;
}

export interface MembershipRecord {
  roomId: RoomId;
  userId: UserId;
  membership: Membership;
  eventId: string;
  streamOrdering: number;
  forgotten: boolean;
}

/** Rooms, their events, current state and memberships, and aliases. */
export interface RoomStore {
  /** Persists events in order in one transaction, creating the room first when given. State events move the current state; member events the membership table. */
  persistEvents(events: RoomEvent[], newRoom?: RoomRecord): Promise<void>;
  getRoom(roomId: RoomId): Promise<RoomRecord | null>;
  setRoomPublic(roomId: RoomId, isPublic: boolean): Promise<void>;
  publicRooms(): Promise<RoomRecord[]>;
  getEvent(eventId: string): Promise<RoomEvent | null>;
  getEvents(eventIds: string[]): Promise<RoomEvent[]>;
  currentState(roomId: RoomId): Promise<RoomEvent[]>;
  /**
   * A room's events by stream ordering. dir "b": at most `limit` events with ordering <= from (newest first);
   * dir "f": events with ordering > from (oldest first). `bound` limits the other side (exclusive for "b", inclusive for "f").
   */
  roomEvents(roomId: RoomId, q: { from: number; dir: "b" | "f"; limit: number; bound?: number }): Promise<RoomEvent[]>;
  /** Events in any of the rooms with ordering in (from, to], newest first, at most `limit`. */
  eventsInRooms(roomIds: RoomId[], from: number, to: number, limit: number): Promise<RoomEvent[]>;
  maxStreamOrdering(): Promise<number>;
  /** Events of every room with ordering in (from, to], oldest first, at most `limit` (another process's writes, in a cluster). */
  eventsBetween(from: number, to: number, limit: number): Promise<RoomEvent[]>;
  findTxn(userId: UserId, deviceId: string, txnId: string): Promise<string | null>;
  membership(roomId: RoomId, userId: UserId): Promise<MembershipRecord | null>;
  /** Every room the user has a membership in (forgotten ones excluded), optionally only changed after a position. */
  membershipsOf(userId: UserId, after?: number): Promise<MembershipRecord[]>;
  /** Every current join, for filling the in-memory index at start-up. */
  allJoins(): Promise<{ roomId: RoomId; userId: UserId }[]>;
  forget(roomId: RoomId, userId: UserId): Promise<void>;
  putAlias(alias: string, roomId: RoomId, creator: UserId): Promise<boolean>;
  getAlias(alias: string): Promise<{ roomId: RoomId; creator: UserId } | null>;
  deleteAlias(alias: string): Promise<void>;
  aliasesOf(roomId: RoomId): Promise<string[]>;
}
