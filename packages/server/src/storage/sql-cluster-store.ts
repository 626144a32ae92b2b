import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { StreamMaxima } from "../cluster/stream-follower";
import { withE2eeTables } from "./e2ee-schema";
import type { Database } from "./schema";

/** What the cluster code reads from the shared database: stream maxima and shared settings. */
export class SqlClusterStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The cluster's shared secret, made by the first process that asks. */
  async secret(): Promise<string> {
    await this.db
      .insertInto("cluster_settings")
      .values({ name: "forward_secret", value: randomBytes(32).toString("base64url") })
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
    const row = await this.db.selectFrom("cluster_settings").select("value").where("name", "=", "forward_secret").executeTakeFirstOrThrow();
    return row.value;
  }

  /** The newest position of every database stream, in one round trip. */
  async maxima(): Promise<StreamMaxima> {
    const e2ee = withE2eeTables(this.db);
    const r = await this.db
      .selectNoFrom((eb) => [
        eb.selectFrom("events").select((s) => s.fn.max("stream_ordering").as("m")).as("events"),
        eb.selectFrom("receipts").select((s) => s.fn.max("stream_id").as("m")).as("receipts"),
        eb.selectFrom("account_data").select((s) => s.fn.max("stream_id").as("m")).as("account_data"),
        e2ee.selectFrom("device_list_changes").select((s) => s.fn.max("stream_id").as("m")).as("device_lists"),
        e2ee.selectFrom("to_device_messages").select((s) => s.fn.max("stream_id").as("m")).as("to_device_rows"),
        eb.selectFrom("stream_positions").select("position").where("stream", "=", "to_device").as("to_device_kept"),
      ])
      .executeTakeFirstOrThrow();
    const n = (v: unknown) => Number(v ?? 0);
    return {
      events: n(r.events),
      receipts: n(r.receipts),
      account_data: n(r.account_data),
      device_lists: n(r.device_lists),
      to_device: Math.max(n(r.to_device_rows), n(r.to_device_kept)),
    };
  }
}
