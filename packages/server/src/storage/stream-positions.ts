import type { Kysely } from "kysely";
import type { StreamPositionsTable } from "./schema";

/** The streams whose newest position is kept in `stream_positions` (their own rows do not all stay). */
export type KeptStream = "to_device" | "notifications";

type Positions = Kysely<{ stream_positions: StreamPositionsTable }>;
/** A database or transaction handle whose schema has the table (Kysely's handles do not widen to a narrower schema, so it is cast here, once). */
type Handle = Kysely<{ stream_positions: StreamPositionsTable }> | object;

/** Records a stream's newest position, inside the transaction that wrote what it covers. */
export async function keepPosition(tx: Handle, stream: KeptStream, position: number): Promise<void> {
  await (tx as unknown as Positions)
    .insertInto("stream_positions")
    .values({ stream, position })
    .onConflict((oc) => oc.column("stream").doUpdateSet({ position }))
    .execute();
}

/** The kept position (null: never written). */
export async function keptPosition(db: Handle, stream: KeptStream): Promise<number | null> {
  const r = await (db as unknown as Positions).selectFrom("stream_positions").select("position").where("stream", "=", stream).executeTakeFirst();
  return r ? Number(r.position) : null;
}
