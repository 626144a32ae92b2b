import { forbidden, invalidParam } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { Requester } from "../../accounts/account-service";
import { Hangup } from "../../sync/hangup";
import type { SetPresence } from "../../sync/sync-service";
import type { AppDeps } from "../deps";
import { jsonObject, queryString, requireAuth } from "../request";
import { param, userParam } from "./room-params";

const SET_PRESENCE: readonly string[] = ["online", "unavailable", "offline"];
/** Longer waits are cut to this: proxies and clients give up around a minute anyway. */
const MAX_TIMEOUT_MS = 120_000;

function timeoutOf(req: FastifyRequest): number {
  const raw = queryString(req, "timeout");
  if (raw === undefined || raw === "") return 0;
  if (!/^\d{1,12}$/.test(raw)) throw invalidParam("'timeout' must be a non-negative integer.");
  return Math.min(Number(raw), MAX_TIMEOUT_MS);
}

export const syncRoutes =
  ({ accounts, sync, filters }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /sync
    app.get("/sync", async (req, reply) => {
      const who = await requireAuth(req, accounts);
      const presence = queryString(req, "set_presence") ?? "online";
      if (!SET_PRESENCE.includes(presence)) throw invalidParam("'set_presence' must be one of online, unavailable, offline.");
      const fullState = queryString(req, "full_state");
      if (fullState !== undefined && fullState !== "true" && fullState !== "false") throw invalidParam("'full_state' must be true or false.");
      const filter = await filters.resolve(who.userId, queryString(req, "filter"));
      const since = queryString(req, "since");
      const timeoutMs = timeoutOf(req);
      // The response's close before it was sent means the client went away: end the long-poll.
      // (The listener goes with the response; one after the answer was sent finds writableEnded.)
      const hangup = new Hangup();
      reply.raw.once("close", () => {
        if (!reply.raw.writableEnded) hangup.fire();
      });
      return sync.sync(
        { userId: who.userId, deviceId: who.deviceId, filter, fullState: fullState === "true" },
        { since: since === undefined || since === "" ? null : since, timeoutMs, setPresence: presence as SetPresence, hangup },
      );
    });

    const owner = async (req: FastifyRequest): Promise<Requester> => {
      const who = await requireAuth(req, accounts);
      if (userParam(req) !== who.userId) throw forbidden("You may only use your own filters.");
      return who;
    };

    // POST /user/{userId}/filter
    app.post("/user/:userId/filter", async (req) => {
      const who = await owner(req);
      return { filter_id: await filters.create(who.userId, jsonObject(req)) };
    });

    // GET /user/{userId}/filter/{filterId}
    app.get("/user/:userId/filter/:filterId", async (req) => {
      const who = await owner(req);
      return filters.get(who.userId, param(req, "filterId"));
    });
  };
