/** A user's report of an event or a room, kept for the operator. */
export interface Report {
  reporter: string;
  roomId: string;
  /** null: the room itself is reported. */
  eventId: string | null;
  reason: string | null;
  score: number | null;
  receivedAt: number;
}

export interface ReportStore {
  add(report: Report): Promise<void>;
  /** Newest first (for the operator and tests). */
  list(limit: number): Promise<Report[]>;
}
