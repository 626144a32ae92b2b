import type { RoomId, UserId } from "@axon/protocol";
import type { PushAction } from "../push/push-rule-types";

/** An event that notified a user. */
export interface NotificationRecord {
  userId: UserId;
  roomId: RoomId;
  streamOrdering: number;
  eventId: string;
  highlight: boolean;
  actions: PushAction[];
  ts: number;
}

/** What the notification service keeps in the database. */
export interface NotificationStore {
  /** Stores rows and, in the same transaction, that every event up to `evaluatedUpTo` has been evaluated. */
  insert(rows: NotificationRecord[], evaluatedUpTo: number): Promise<void>;
  /** The last `evaluatedUpTo` stored (null: never, e.g. a database from before it was kept). */
  evaluatedUpTo(): Promise<number | null>;
  /** A user's notifications, newest first, below `before` (null: from the newest). */
  page(userId: UserId, q: { before: number | null; limit: number; onlyHighlight: boolean }): Promise<NotificationRecord[]>;
  /** For start-up: per (user, room), the newest stream ordering their m.read / m.read.private receipts point at. */
  readMarkers(): Promise<{ userId: UserId; roomId: RoomId; streamOrdering: number }[]>;
  /** For start-up: notifications after the user's read marker in their room (the unread ones). */
  unreadRows(): Promise<{ userId: UserId; roomId: RoomId; streamOrdering: number; highlight: boolean }[]>;
}
