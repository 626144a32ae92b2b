import { parsePresenceState, type UserId } from "@axon/protocol";
import type { Kysely } from "kysely";
import type { PresenceStore, StoredPresence } from "../presence/presence-store";
import type { Database, PresenceTable } from "./schema";


const toRecord = (r: PresenceTable): StoredPresence => ({
  userId: r.user_id as UserId,
  state: parsePresenceState(r.state) ?? "offline",
  statusMsg: r.status_msg,
  lastActiveAt: r.last_active_ts,
  busyFromCall: r.busy_from_call === 1,
  expiresAt: r.expires_ts,
  updatedAt: r.updated_ts,
});

const toRow = (p: StoredPresence): PresenceTable => ({
  user_id: p.userId,
  state: p.state,
  status_msg: p.statusMsg,
  last_active_ts: p.lastActiveAt,
  busy_from_call: p.busyFromCall ? 1 : 0,
  expires_ts: p.expiresAt,
  updated_ts: p.updatedAt,
});

export class SqlPresenceStore implements PresenceStore {
  constructor(private readonly db: Kysely<Database>) {}

  async loadAll(): Promise<StoredPresence[]> {
    return (await this.db.selectFrom("presence").selectAll().execute()).map(toRecord);
  }

  async saveMany(rows: StoredPresence[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      // Chunks keep each statement under SQLite's bound-parameter limit.
      for (let i = 0; i < rows.length; i += 50) {
        await tx
          .insertInto("presence")
          .values(rows.slice(i, i + 50).map(toRow))
          .onConflict((oc) =>
            oc.column("user_id").doUpdateSet((eb) => ({
              state: eb.ref("excluded.state"),
              status_msg: eb.ref("excluded.status_msg"),
              last_active_ts: eb.ref("excluded.last_active_ts"),
              busy_from_call: eb.ref("excluded.busy_from_call"),
              expires_ts: eb.ref("excluded.expires_ts"),
              updated_ts: eb.ref("excluded.updated_ts"),
            })),
          )
          .execute();
      }
    });
  }
}
