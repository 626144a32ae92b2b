import type { UserId } from "@axon/protocol";
import type { Kysely } from "kysely";
import type { ProfileFieldStore, StoredProfileField } from "../profile/profile-field-store";
import type { Database, ProfileFieldsTable } from "./schema";

const toField = (r: Pick<ProfileFieldsTable, "key" | "value" | "set_by_server">): StoredProfileField => ({
  key: r.key,
  value: r.value,
  setByServer: r.set_by_server === 1,
});

/** Extended profile fields; each write is one statement, so several processes can share the table. */
export class SqlProfileFieldStore implements ProfileFieldStore {
  constructor(private readonly db: Kysely<Database>) {}

  async list(userId: UserId): Promise<StoredProfileField[]> {
    const rows = await this.db
      .selectFrom("profile_fields")
      .select(["key", "value", "set_by_server"])
      .where("user_id", "=", userId)
      .orderBy("key")
      .execute();
    return rows.map(toField);
  }

  async get(userId: UserId, key: string): Promise<StoredProfileField | null> {
    const row = await this.db
      .selectFrom("profile_fields")
      .select(["key", "value", "set_by_server"])
      .where("user_id", "=", userId)
      .where("key", "=", key)
      .executeTakeFirst();
    return row ? toField(row) : null;
  }

  async put(userId: UserId, key: string, value: string): Promise<void> {
    await this.db
      .insertInto("profile_fields")
      .values({ user_id: userId, key, value, set_by_server: 0 })
      .onConflict((oc) => oc.columns(["user_id", "key"]).doUpdateSet({ value, set_by_server: 0 }))
      .execute();
  }

  async delete(userId: UserId, key: string): Promise<boolean> {
    const res = await this.db.deleteFrom("profile_fields").where("user_id", "=", userId).where("key", "=", key).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async putUnlessUserOwned(userId: UserId, key: string, value: string): Promise<boolean> {
    const res = await this.db
      .insertInto("profile_fields")
      .values({ user_id: userId, key, value, set_by_server: 1 })
      .onConflict((oc) => oc.columns(["user_id", "key"]).doUpdateSet({ value }).where("profile_fields.set_by_server", "=", 1))
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async deleteIfServerOwned(userId: UserId, key: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom("profile_fields")
      .where("user_id", "=", userId)
      .where("key", "=", key)
      .where("set_by_server", "=", 1)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async deleteAllServerOwned(key: string): Promise<UserId[]> {
    const rows = await this.db
      .deleteFrom("profile_fields")
      .where("key", "=", key)
      .where("set_by_server", "=", 1)
      .returning("user_id")
      .execute();
    return rows.map((r) => r.user_id as UserId).sort();
  }
}
