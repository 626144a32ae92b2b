import type { DeviceId, UserId } from "@axon/protocol";

/** What one /sync request asks for, parsed once at the edge. */
export interface SyncRequest {
  userId: UserId;
  deviceId: DeviceId;
  /** The effective filter (from a filter id or inline JSON), already validated. */
  filter: SyncFilter;
  fullState: boolean;
}

/** The parts of a filter the providers read; each section optional as in the spec. */
export interface EventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
}

export interface SyncFilter {
  presence?: EventFilter;
  account_data?: EventFilter;
  room?: {
    rooms?: string[];
    not_rooms?: string[];
    include_leave?: boolean;
    timeline?: EventFilter & { rooms?: string[]; not_rooms?: string[] };
    state?: EventFilter & { rooms?: string[]; not_rooms?: string[]; lazy_load_members?: boolean };
    ephemeral?: EventFilter & { rooms?: string[]; not_rooms?: string[] };
    account_data?: EventFilter & { rooms?: string[]; not_rooms?: string[] };
  };
  event_fields?: string[];
  event_format?: "client" | "federation";
}

/** A /sync response being built; providers fill their own sections. */
export type SyncResponse = Record<string, unknown> & { next_batch?: string };

/**
 * One kind of /sync data with its own stream position (rooms, presence, typing, ...).
 * The sync token is the list of every provider's position.
 */
export interface StreamProvider {
  /** Stable name, used in logs and in the token's layout. */
  readonly key: string;
  /** The newest position, from memory: cheap. */
  latest(): number;
  /**
   * A token position ahead of latest() is accepted rather than refused as "from the future": in a
   * cluster the token may come from another process that has already seen more of the stream
   * (fill then gets from > to and finds nothing new until this process catches up).
   */
  readonly acceptsAhead?: boolean;
  /**
   * Adds this stream's part for changes in (from, to] (from null: an initial sync, the current
   * state). Returns true when it added something that should end a long-poll.
   * Must cost O(changes since `from`) for the user, not O(users) or O(rooms on the server).
   * Answers synchronously when it can (nothing new for the user, or all in memory): a woken
   * long-poll then costs no promise per provider.
   */
  fill(req: SyncRequest, from: number | null, to: number, res: SyncResponse): boolean | Promise<boolean>;
}
