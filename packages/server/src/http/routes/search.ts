import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, queryString, requireAuth } from "../request";

const limit = z.number().int().min(0).max(1000);
const roomEvents = z.object({
  search_term: z.string().max(1000),
  keys: z.array(z.enum(["content.body", "content.name", "content.topic"])).optional(),
  filter: z.object({ rooms: z.array(z.string()).optional(), not_rooms: z.array(z.string()).optional(), limit: limit.optional() }).optional(),
  order_by: z.enum(["rank", "recent"]).optional(),
  event_context: z.object({ before_limit: limit.optional(), after_limit: limit.optional(), include_profile: z.boolean().optional() }).optional(),
  include_state: z.boolean().optional(),
  groupings: z.unknown().optional(),
});
const searchBody = z.object({ search_categories: z.object({ room_events: roomEvents.optional() }) });

export const searchRoutes =
  ({ accounts, search }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // POST /search
    app.post("/search", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(searchBody, jsonObject(req));
      const criteria = body.search_categories.room_events;
      if (!criteria) return { search_categories: {} };
      return { search_categories: { room_events: await search.roomEvents(who, criteria, queryString(req, "next_batch")) } };
    });
  };
