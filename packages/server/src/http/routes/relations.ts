import { invalidParam } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import { parseRoomToken } from "../../rooms/room-token";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, queryString, requireAuth } from "../request";
import { param, roomParam } from "./room-params";

const redactBody = z.object({ reason: z.string().max(10_000).optional() });

function limitQuery(req: FastifyRequest, fallback: number): number {
  const raw = queryString(req, "limit");
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw invalidParam("'limit' must be a positive integer.");
  return Math.min(Number(raw), 100);
}

function tokenQuery(req: FastifyRequest, name: string): number | undefined {
  const raw = queryString(req, name);
  return raw === undefined || raw === "" ? undefined : parseRoomToken(raw);
}

function boolQuery(req: FastifyRequest, name: string): boolean {
  const raw = queryString(req, name);
  if (raw === undefined) return false;
  if (raw !== "true" && raw !== "false") throw invalidParam(`'${name}' must be true or false.`);
  return raw === "true";
}

/** PUT /rooms/{roomId}/redact/{eventId}/{txnId} (under the client prefixes). */
export const redactionRoutes =
  ({ accounts, redactions }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    app.put("/rooms/:roomId/redact/:eventId/:txnId", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(redactBody, jsonObject(req, { optional: true }));
      const eventId = await redactions.redact(who, roomParam(req), param(req, "eventId"), body.reason, param(req, "txnId"));
      return { event_id: eventId };
    });
  };

/** Relations and threads (under /_matrix/client/v1). */
export const relationRoutes =
  ({ accounts, relations }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const list = async (req: FastifyRequest) => {
      const who = await requireAuth(req, accounts);
      const dir = queryString(req, "dir") ?? "b";
      if (dir !== "b" && dir !== "f") throw invalidParam("'dir' must be 'b' or 'f'.");
      const p = req.params as { relType?: string; eventType?: string };
      const from = tokenQuery(req, "from");
      const to = tokenQuery(req, "to");
      return relations.relations(who, roomParam(req), param(req, "eventId"), {
        dir,
        limit: limitQuery(req, 50),
        recurse: boolQuery(req, "recurse"),
        ...(p.relType !== undefined && { relType: p.relType }),
        ...(p.eventType !== undefined && { eventType: p.eventType }),
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
      });
    };
    // GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]
    app.get("/rooms/:roomId/relations/:eventId", list);
    app.get("/rooms/:roomId/relations/:eventId/:relType", list);
    app.get("/rooms/:roomId/relations/:eventId/:relType/:eventType", list);

    // GET /rooms/{roomId}/threads
    app.get("/rooms/:roomId/threads", async (req) => {
      const who = await requireAuth(req, accounts);
      const include = queryString(req, "include") ?? "all";
      if (include !== "all" && include !== "participated") throw invalidParam("'include' must be all or participated.");
      const from = tokenQuery(req, "from");
      return relations.threads(who, roomParam(req), { participatedOnly: include === "participated", limit: limitQuery(req, 50), ...(from !== undefined && { from }) });
    });
  };
