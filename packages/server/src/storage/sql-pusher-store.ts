import type { DeviceId, UserId } from "@axon/protocol";
import type { Kysely } from "kysely";
import type { PusherKey, PusherRecord, PusherStore } from "../pushers/pusher-store";
import type { Database, PushersTable } from "./schema";

export class SqlPusherStore implements PusherStore {
  constructor(private readonly db: Kysely<Database>) {}

  async all(): Promise<PusherRecord[]> {
    const rows = await this.db.selectFrom("pushers").selectAll().orderBy("created_ts").execute();
    return rows.map(fromRow);
  }

  set(p: PusherRecord, removeOthers: boolean): Promise<PusherKey[]> {
    return this.db.transaction().execute(async (tx) => {
      let removed: PusherKey[] = [];
      if (removeOthers) {
        const rows = await tx
          .deleteFrom("pushers")
          .where("app_id", "=", p.appId)
          .where("pushkey", "=", p.pushkey)
          .where("user_id", "!=", p.userId)
          .returning("user_id")
          .execute();
        removed = rows.map((r) => ({ userId: r.user_id as UserId, appId: p.appId, pushkey: p.pushkey }));
      }
      const row = toRow(p);
      await tx
        .insertInto("pushers")
        .values(row)
        .onConflict((oc) =>
          oc.columns(["app_id", "pushkey", "user_id"]).doUpdateSet({
            device_id: row.device_id,
            kind: row.kind,
            app_display_name: row.app_display_name,
            device_display_name: row.device_display_name,
            profile_tag: row.profile_tag,
            lang: row.lang,
            data: row.data,
            created_ts: row.created_ts,
          }),
        )
        .execute();
      return removed;
    });
  }

  async delete(key: PusherKey): Promise<boolean> {
    const r = await this.db.deleteFrom("pushers").where("user_id", "=", key.userId).where("app_id", "=", key.appId).where("pushkey", "=", key.pushkey).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteForDevices(userId: UserId, deviceIds: readonly DeviceId[]): Promise<PusherKey[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.db
      .deleteFrom("pushers")
      .where("user_id", "=", userId)
      .where("device_id", "in", [...deviceIds])
      .returning(["app_id", "pushkey"])
      .execute();
    return rows.map((r) => ({ userId, appId: r.app_id, pushkey: r.pushkey }));
  }
}

function toRow(p: PusherRecord): PushersTable {
  return {
    user_id: p.userId,
    device_id: p.deviceId,
    app_id: p.appId,
    pushkey: p.pushkey,
    kind: p.kind,
    app_display_name: p.appDisplayName,
    device_display_name: p.deviceDisplayName,
    profile_tag: p.profileTag,
    lang: p.lang,
    data: JSON.stringify(p.data),
    created_ts: p.ts,
  };
}

function fromRow(r: PushersTable): PusherRecord {
  return {
    userId: r.user_id as UserId,
    deviceId: r.device_id as DeviceId,
    appId: r.app_id,
    pushkey: r.pushkey,
    kind: "http",
    appDisplayName: r.app_display_name,
    deviceDisplayName: r.device_display_name,
    profileTag: r.profile_tag,
    lang: r.lang,
    data: JSON.parse(r.data) as Record<string, unknown>,
    ts: Number(r.created_ts),
  };
}
