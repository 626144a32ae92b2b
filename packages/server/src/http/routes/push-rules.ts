import type { FastifyPluginAsync } from "fastify";
import { defaultPushRules } from "../../push/default-push-rules";
import type { AppDeps } from "../deps";
import { requireAuth } from "../request";

export const pushRuleRoutes =
  ({ accounts }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /pushrules/ (matrix-js-sdk will not sync without it)
    app.get("/pushrules", async (req) => {
      const who = await requireAuth(req, accounts);
      return { global: defaultPushRules(who.userId) };
    });

    // GET /pushrules/global/
    app.get("/pushrules/global", async (req) => {
      const who = await requireAuth(req, accounts);
      return defaultPushRules(who.userId);
    });
  };
