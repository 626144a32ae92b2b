import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { parseUserId, invalidParam, type UserId } from "@axon/protocol";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";
import { param, roomParam } from "./room-params";

const reasonBody = z.object({ reason: z.string().max(1000).optional() });
const targetBody = z.object({ user_id: z.string(), reason: z.string().max(1000).optional() });

function target(req: FastifyRequest): { userId: UserId; reason?: string } {
  const body = parseWith(targetBody, jsonObject(req));
  const userId = parseUserId(body.user_id);
  if (!userId) throw invalidParam(`'${body.user_id}' is not a user id.`);
  return { userId, ...(body.reason !== undefined && { reason: body.reason }) };
}

export const membershipRoutes =
  ({ accounts, rooms }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const reason = (req: FastifyRequest) => parseWith(reasonBody, jsonObject(req, { optional: true })).reason;

    // POST /rooms/{roomId}/invite
    app.post("/rooms/:roomId/invite", async (req) => {
      const who = await requireAuth(req, accounts);
      const t = target(req);
      await rooms.invite(who, roomParam(req), t.userId, t.reason);
      return {};
    });

    // POST /rooms/{roomId}/join
    app.post("/rooms/:roomId/join", async (req) => {
      const who = await requireAuth(req, accounts);
      return { room_id: await rooms.join(who, roomParam(req), reason(req)) };
    });

    // POST /join/{roomIdOrAlias}
    app.post("/join/:roomIdOrAlias", async (req) => {
      const who = await requireAuth(req, accounts);
      const raw = param(req, "roomIdOrAlias");
      if (!raw.startsWith("!") && !raw.startsWith("#")) throw invalidParam(`'${raw}' is not a room id or alias.`);
      return { room_id: await rooms.join(who, raw, reason(req)) };
    });

    // POST /rooms/{roomId}/leave
    app.post("/rooms/:roomId/leave", async (req) => {
      const who = await requireAuth(req, accounts);
      await rooms.leave(who, roomParam(req), reason(req));
      return {};
    });

    // POST /rooms/{roomId}/forget
    app.post("/rooms/:roomId/forget", async (req) => {
      const who = await requireAuth(req, accounts);
      await rooms.forget(who, roomParam(req));
      return {};
    });

    // POST /rooms/{roomId}/kick
    app.post("/rooms/:roomId/kick", async (req) => {
      const who = await requireAuth(req, accounts);
      const t = target(req);
      await rooms.kick(who, roomParam(req), t.userId, t.reason);
      return {};
    });

    // POST /rooms/{roomId}/ban
    app.post("/rooms/:roomId/ban", async (req) => {
      const who = await requireAuth(req, accounts);
      const t = target(req);
      await rooms.ban(who, roomParam(req), t.userId, t.reason);
      return {};
    });

    // POST /rooms/{roomId}/unban
    app.post("/rooms/:roomId/unban", async (req) => {
      const who = await requireAuth(req, accounts);
      const t = target(req);
      await rooms.unban(who, roomParam(req), t.userId, t.reason);
      return {};
    });
  };
