import type { RoomEvent } from "../rooms/room-event";

export interface RelationsPage {
  /** Limit and direction as in /messages; positions are stream orderings (exclusive `from`). */
  from?: number;
  to?: number;
  dir: "b" | "f";
  limit: number;
  relType?: string;
  eventType?: string;
  /** Stream orderings above this are not visible to the requester. */
  upTo: number;
}

export interface ThreadSummary {
  count: number;
  latestEventId: string;
  participated: boolean;
}

/** The raw facts bundled aggregations are built from, for a set of related-to events. */
export interface RelationFacts {
  /** Edits (m.replace) per original: id, sender and time of each. */
  edits: Map<string, { eventId: string; sender: string; ts: number }[]>;
  threads: Map<string, ThreadSummary>;
  /** m.reference children per original, oldest first. */
  references: Map<string, string[]>;
}

/** Relations between events, recorded when events are persisted (see storage/sql-relations-persist.ts). */
export interface RelationsStore {
  facts(eventIds: string[], viewer: string): Promise<RelationFacts>;
  /** Events relating to any of `parents` (direct children only), by the page's filters. */
  children(roomId: string, parents: string[], page: RelationsPage): Promise<RoomEvent[]>;
  /** Ids of events relating to any of `parents` (for walking deeper). */
  childIds(parents: string[]): Promise<string[]>;
  /** Thread roots of a room, latest activity first, before `before` (a stream ordering); with their latest activity. */
  threadRoots(roomId: string, q: { before: number; limit: number; participant?: string }): Promise<{ rootId: string; latest: number }[]>;
}
