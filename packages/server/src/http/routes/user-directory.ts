import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";

const searchBody = z.object({ search_term: z.string().max(1000), limit: z.number().int().min(0).optional() });

export const userDirectoryRoutes =
  ({ accounts, userDirectory }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // POST /user_directory/search
    app.post("/user_directory/search", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(searchBody, jsonObject(req));
      return userDirectory.search(who.userId, body.search_term, Math.min(body.limit ?? 10, 100));
    });
  };
