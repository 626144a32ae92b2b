import type { DeviceId, UserId } from "@axon/protocol";
import type { Kysely, Transaction } from "kysely";
import type { AccountChange, AdminStore, UserSummary } from "../admin/admin-store";
import { withAdminTables, type AdminDb, type AdminTables } from "./admin-schema";
import type { Database } from "./schema";

type Tx = Transaction<Omit<Database, "users"> & AdminTables>;

export class SqlAdminStore implements AdminStore {
  private readonly db: AdminDb;

  constructor(db: Kysely<Database>) {
    this.db = withAdminTables(db);
  }

  async listUsers(): Promise<UserSummary[]> {
    const rows = await this.db
      .selectFrom("users")
      .leftJoin("devices", "devices.user_id", "users.user_id")
      .select((eb) => ["users.user_id", "users.is_admin", "users.deactivated", "users.created_ts", eb.fn.count<number>("devices.device_id").as("devices")])
      .groupBy(["users.user_id", "users.is_admin", "users.deactivated", "users.created_ts"])
      .orderBy("users.user_id")
      .execute();
    return rows.map((r) => ({
      userId: r.user_id as UserId,
      isAdmin: Number(r.is_admin) === 1,
      deactivated: Number(r.deactivated) === 1,
      createdTs: Number(r.created_ts),
      devices: Number(r.devices),
    }));
  }

  deactivate(userId: UserId, now: number): Promise<DeviceId[] | null> {
    return this.db.transaction().execute(async (tx) => {
      const res = await tx.updateTable("users").set({ deactivated: 1, password_hash: null }).where("user_id", "=", userId).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return null;
      const devices = await removeDevices(tx, userId);
      await logChange(tx, userId, "deactivated", devices, now);
      return devices;
    });
  }

  resetPassword(userId: UserId, passwordHash: string, keepDevices: boolean, now: number): Promise<DeviceId[] | null> {
    return this.db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable("users")
        .set({ password_hash: passwordHash })
        .where("user_id", "=", userId)
        .where("deactivated", "=", 0)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return null;
      if (keepDevices) return [];
      const devices = await removeDevices(tx, userId);
      if (devices.length > 0) await logChange(tx, userId, "logged_out", devices, now);
      return devices;
    });
  }

  async changesSince(afterId: number): Promise<AccountChange[]> {
    const rows = await this.db.selectFrom("account_changes").selectAll().where("change_id", ">", afterId).orderBy("change_id").execute();
    return rows.map((r) => ({
      id: Number(r.change_id),
      userId: r.user_id as UserId,
      kind: r.kind === "deactivated" ? "deactivated" : "logged_out",
      devices: JSON.parse(r.devices) as DeviceId[],
    }));
  }

  async isDeactivated(userId: UserId): Promise<boolean> {
    const r = await this.db.selectFrom("users").select("deactivated").where("user_id", "=", userId).executeTakeFirst();
    return Number(r?.deactivated ?? 0) === 1;
  }
}

async function removeDevices(tx: Tx, userId: UserId): Promise<DeviceId[]> {
  await tx.deleteFrom("access_tokens").where("user_id", "=", userId).execute();
  const rows = await tx.deleteFrom("devices").where("user_id", "=", userId).returning("device_id").execute();
  return rows.map((r) => r.device_id as DeviceId);
}

async function logChange(tx: Tx, userId: UserId, kind: AccountChange["kind"], devices: DeviceId[], now: number): Promise<void> {
  const last = await tx.selectFrom("account_changes").select((eb) => eb.fn.max("change_id").as("id")).executeTakeFirst();
  await tx
    .insertInto("account_changes")
    .values({ change_id: Number(last?.id ?? 0) + 1, user_id: userId, kind, devices: JSON.stringify(devices), created_ts: now })
    .execute();
}
