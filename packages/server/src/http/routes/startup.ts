import { invalidParam, type RoomId } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, queryString, requireAuth } from "../request";
import { turnCredentials } from "../../startup/turn";
import { param, roomParam } from "./room-params";

const eventReport = z.object({ reason: z.string().max(10_000).optional(), score: z.number().int().min(-100).max(0).optional() });
const roomReport = z.object({ reason: z.string().max(10_000) });

/** The calls Element makes at start-up that a server should answer: third-party protocols, 3PIDs, TURN, reports. */
export const startupRoutes =
  ({ accounts, config, clock, reports }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /thirdparty/protocols: no bridges here.
    app.get("/thirdparty/protocols", async (req) => {
      await requireAuth(req, accounts);
      return {};
    });

    // GET /account/3pid: no third-party identifiers are kept.
    app.get("/account/3pid", async (req) => {
      await requireAuth(req, accounts);
      return { threepids: [] };
    });

    // GET /voip/turnServer
    app.get("/voip/turnServer", async (req) => {
      const who = await requireAuth(req, accounts);
      return turnCredentials(config.voip, who.userId, clock.now());
    });

    // POST /rooms/{roomId}/report/{eventId}
    app.post("/rooms/:roomId/report/:eventId", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(eventReport, jsonObject(req, { optional: true }));
      await reports.reportEvent(who.userId, roomParam(req), param(req, "eventId"), body.reason ?? null, body.score ?? null);
      return {};
    });

    // POST /rooms/{roomId}/report
    app.post("/rooms/:roomId/report", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(roomReport, jsonObject(req));
      await reports.reportRoom(who.userId, roomParam(req), body.reason);
      return {};
    });
  };

function intQuery(req: FastifyRequest, name: string, fallback: number, min: number): number {
  const raw = queryString(req, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min) throw invalidParam(`'${name}' must be an integer of at least ${min}.`);
  return n;
}

/** Start-up calls that live under /_matrix/client/v1. */
export const startupV1Routes =
  ({ accounts, hierarchy }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /_matrix/client/v1/rooms/{roomId}/hierarchy
    app.get("/rooms/:roomId/hierarchy", async (req) => {
      const who = await requireAuth(req, accounts);
      const roomId: RoomId = roomParam(req);
      const suggested = queryString(req, "suggested_only");
      if (suggested !== undefined && suggested !== "true" && suggested !== "false") throw invalidParam("'suggested_only' must be true or false.");
      return hierarchy.walk(who.userId, roomId, {
        limit: Math.min(intQuery(req, "limit", 50, 1), 100),
        maxDepth: intQuery(req, "max_depth", 10, 0),
        suggestedOnly: suggested === "true",
        from: queryString(req, "from"),
      });
    });
  };
