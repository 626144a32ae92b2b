import type { DeviceId, UserId } from "@axon/protocol";
import type { Kysely } from "kysely";
import type { AccountStore, DeviceRecord, TokenOwner, UserRecord } from "../accounts/account-store";
import type { Database, DevicesTable } from "./schema";

const toDevice = (r: DevicesTable): DeviceRecord => ({
  userId: r.user_id as UserId,
  deviceId: r.device_id as DeviceId,
  displayName: r.display_name,
  lastSeenTs: r.last_seen_ts,
  lastSeenIp: r.last_seen_ip,
});

export class SqlAccountStore implements AccountStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createUser(u: { userId: UserId; passwordHash: string | null; isAdmin: boolean; now: number }): Promise<boolean> {
    const res = await this.db
      .insertInto("users")
      .values({
        user_id: u.userId,
        password_hash: u.passwordHash,
        is_admin: u.isAdmin ? 1 : 0,
        created_ts: u.now,
        displayname: null,
        avatar_url: null,
      })
      .onConflict((oc) => oc.column("user_id").doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async getUser(userId: UserId): Promise<UserRecord | null> {
    const r = await this.db.selectFrom("users").selectAll().where("user_id", "=", userId).executeTakeFirst();
    if (!r) return null;
    return {
      userId: r.user_id as UserId,
      passwordHash: r.password_hash,
      isAdmin: r.is_admin === 1,
      displayname: r.displayname,
      avatarUrl: r.avatar_url,
    };
  }

  async listUserIds(): Promise<UserId[]> {
    const rows = await this.db.selectFrom("users").select("user_id").orderBy("user_id").execute();
    return rows.map((r) => r.user_id as UserId);
  }

  async setProfile(userId: UserId, f: { displayname?: string | null; avatarUrl?: string | null }): Promise<void> {
    const values: { displayname?: string | null; avatar_url?: string | null } = {};
    if (f.displayname !== undefined) values.displayname = f.displayname;
    if (f.avatarUrl !== undefined) values.avatar_url = f.avatarUrl;
    if (Object.keys(values).length === 0) return;
    await this.db.updateTable("users").set(values).where("user_id", "=", userId).execute();
  }

  async upsertDevice(d: { userId: UserId; deviceId: DeviceId; displayName: string | null; now: number }): Promise<void> {
    await this.db
      .insertInto("devices")
      .values({
        user_id: d.userId,
        device_id: d.deviceId,
        display_name: d.displayName,
        last_seen_ts: d.now,
        last_seen_ip: null,
        created_ts: d.now,
      })
      .onConflict((oc) =>
        oc.columns(["user_id", "device_id"]).doUpdateSet(
          d.displayName === null ? { last_seen_ts: d.now } : { last_seen_ts: d.now, display_name: d.displayName },
        ),
      )
      .execute();
  }

  async getDevice(userId: UserId, deviceId: DeviceId): Promise<DeviceRecord | null> {
    const r = await this.db
      .selectFrom("devices")
      .selectAll()
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .executeTakeFirst();
    return r ? toDevice(r) : null;
  }

  async listDevices(userId: UserId): Promise<DeviceRecord[]> {
    const rows = await this.db.selectFrom("devices").selectAll().where("user_id", "=", userId).orderBy("device_id").execute();
    return rows.map(toDevice);
  }

  async setDeviceDisplayName(userId: UserId, deviceId: DeviceId, name: string | null): Promise<boolean> {
    const res = await this.db
      .updateTable("devices")
      .set({ display_name: name })
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async deleteDevice(userId: UserId, deviceId: DeviceId): Promise<string[]> {
    return this.db.transaction().execute(async (tx) => {
      const tokens = await tx
        .deleteFrom("access_tokens")
        .where("user_id", "=", userId)
        .where("device_id", "=", deviceId)
        .returning("token_hash")
        .execute();
      await tx.deleteFrom("devices").where("user_id", "=", userId).where("device_id", "=", deviceId).execute();
      return tokens.map((t) => t.token_hash);
    });
  }

  async addToken(tokenHash: string, owner: TokenOwner, now: number): Promise<void> {
    await this.db
      .insertInto("access_tokens")
      .values({ token_hash: tokenHash, user_id: owner.userId, device_id: owner.deviceId, created_ts: now })
      .execute();
  }

  async getTokenOwner(tokenHash: string): Promise<TokenOwner | null> {
    const r = await this.db
      .selectFrom("access_tokens")
      .select(["user_id", "device_id"])
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return r ? { userId: r.user_id as UserId, deviceId: r.device_id as DeviceId } : null;
  }

  async deleteAllDevices(userId: UserId): Promise<string[]> {
    return this.db.transaction().execute(async (tx) => {
      const tokens = await tx.deleteFrom("access_tokens").where("user_id", "=", userId).returning("token_hash").execute();
      await tx.deleteFrom("devices").where("user_id", "=", userId).execute();
      return tokens.map((t) => t.token_hash);
    });
  }
}
