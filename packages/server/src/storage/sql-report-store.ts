import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Report, ReportStore } from "../startup/report-store";
import type { Database } from "./schema";

export class SqlReportStore implements ReportStore {
  constructor(private readonly db: Kysely<Database>) {}

  async add(r: Report): Promise<void> {
    await this.db
      .insertInto("reports")
      .values({
        report_id: randomBytes(12).toString("base64url"),
        reporter: r.reporter,
        room_id: r.roomId,
        event_id: r.eventId,
        reason: r.reason,
        score: r.score,
        received_ts: r.receivedAt,
      })
      .execute();
  }

  async list(limit: number): Promise<Report[]> {
    const rows = await this.db.selectFrom("reports").selectAll().orderBy("received_ts", "desc").limit(limit).execute();
    return rows.map((r) => ({ reporter: r.reporter, roomId: r.room_id, eventId: r.event_id, reason: r.reason, score: r.score, receivedAt: r.received_ts }));
  }
}
