import { forbidden } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { Requester } from "../../accounts/account-service";
import { Hangup } from "../../sync/hangup";
import type { AppDeps } from "../deps";
import { accessTokenOf, jsonObject, queryString, requireAuth } from "../request";
import { handleSync } from "../sync-request";
import { param, userParam } from "./room-params";

export const syncRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /sync
    app.get("/sync", async (req, reply) => {
      // The response's close before it was sent means the client went away: end the long-poll.
      // (The listener goes with the response; one after the answer was sent finds writableEnded.)
      const hangup = new Hangup();
      reply.raw.once("close", () => {
        if (!reply.raw.writableEnded) hangup.fire();
      });
      return handleSync(deps, { token: accessTokenOf(req), query: (name) => queryString(req, name), hangup });
    });

    const { accounts, filters } = deps;
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
