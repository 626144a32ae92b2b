import { invalidParam } from "@axon/protocol";
import type { FastifyPluginAsync } from "fastify";
import type { AppDeps } from "../deps";
import { queryString, requireAuth } from "../request";

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

export const notificationRoutes =
  ({ accounts, notifications }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /notifications?from=&limit=&only=highlight
    app.get("/notifications", async (req) => {
      const who = await requireAuth(req, accounts);
      const rawLimit = queryString(req, "limit");
      if (rawLimit !== undefined && !/^[0-9]{1,9}$/.test(rawLimit)) throw invalidParam("'limit' must be a non-negative integer.");
      const limit = rawLimit === undefined ? DEFAULT_LIMIT : Math.min(Math.max(Number(rawLimit), 1), MAX_LIMIT);
      return notifications.list(who.userId, { from: queryString(req, "from") ?? null, limit, onlyHighlight: queryString(req, "only") === "highlight" });
    });
  };
