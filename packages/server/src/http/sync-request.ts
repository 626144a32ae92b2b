import { invalidParam } from "@axon/protocol";
import type { SyncResponse } from "../sync/stream-provider";
import type { SetPresence } from "../sync/sync-service";
import type { Hangup } from "../sync/hangup";
import type { AppDeps } from "./deps";
import { requireToken } from "./request";

const SET_PRESENCE: readonly string[] = ["online", "unavailable", "offline"];
/** Longer waits are cut to this: proxies and clients give up around a minute anyway. */
const MAX_TIMEOUT_MS = 120_000;

/** A `/sync` request as the client sent it, whichever thread read the HTTP. */
export interface SyncCall {
  /** The access token (from the header or the query), or null. */
  token: string | null;
  /** A query parameter (the last one when repeated). */
  query(name: string): string | undefined;
  /** Fired when the client goes away before the answer. */
  hangup: Hangup;
}

/**
 * GET /sync from parsed inputs: auth, parameter checks, then the sync service. Shared by the
 * Fastify route and the front thread's dispatch (http/front-dispatch.ts), so both answer alike.
 */
export async function handleSync({ accounts, sync, filters }: Pick<AppDeps, "accounts" | "sync" | "filters">, call: SyncCall): Promise<SyncResponse> {
  const who = await requireToken(call.token, accounts);
  const presence = call.query("set_presence") ?? "online";
  if (!SET_PRESENCE.includes(presence)) throw invalidParam("'set_presence' must be one of online, unavailable, offline.");
  const fullState = call.query("full_state");
  if (fullState !== undefined && fullState !== "true" && fullState !== "false") throw invalidParam("'full_state' must be true or false.");
  const filter = await filters.resolve(who.userId, call.query("filter"));
  const since = call.query("since");
  const timeoutMs = timeoutOf(call.query("timeout"));
  return sync.sync(
    { userId: who.userId, deviceId: who.deviceId, filter, fullState: fullState === "true" },
    { since: since === undefined || since === "" ? null : since, timeoutMs, setPresence: presence as SetPresence, hangup: call.hangup },
  );
}

function timeoutOf(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  if (!/^\d{1,12}$/.test(raw)) throw invalidParam("'timeout' must be a non-negative integer.");
  return Math.min(Number(raw), MAX_TIMEOUT_MS);
}
