import { forbidden, invalidParam } from "@axon/protocol";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";
import { param, roomParam, userParam } from "./room-params";

const typingBody = z.object({ typing: z.boolean(), timeout: z.number().int().min(0).optional() });
const receiptBody = z.object({ thread_id: z.string().optional() });
const markersBody = z.object({
  "m.fully_read": z.string().optional(),
  "m.read": z.string().optional(),
  "m.read.private": z.string().optional(),
});

export const ephemeralRoutes =
  ({ accounts, rooms, typing, receipts, accountData }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // PUT /rooms/{roomId}/typing/{userId}
    app.put("/rooms/:roomId/typing/:userId", async (req) => {
      const who = await requireAuth(req, accounts);
      if (userParam(req) !== who.userId) throw forbidden("You may only set your own typing state.");
      const body = parseWith(typingBody, jsonObject(req));
      typing.setTyping(who, roomParam(req), body.typing, body.timeout ?? 30_000);
      return {};
    });

    // POST /rooms/{roomId}/receipt/{receiptType}/{eventId}
    app.post("/rooms/:roomId/receipt/:receiptType/:eventId", async (req) => {
      const who = await requireAuth(req, accounts);
      const roomId = roomParam(req);
      const type = param(req, "receiptType");
      const eventId = param(req, "eventId");
      const body = parseWith(receiptBody, jsonObject(req, { optional: true }));
      if (type === "m.fully_read") {
        await rooms.getEvent(who.userId, roomId, eventId);
        await accountData.put(who.userId, roomId, "m.fully_read", { event_id: eventId });
        return {};
      }
      if (type !== "m.read" && type !== "m.read.private") throw invalidParam(`Unknown receipt type '${type}'.`);
      await receipts.setReceipt(who, roomId, type, eventId, body.thread_id);
      return {};
    });

    // POST /rooms/{roomId}/read_markers
    app.post("/rooms/:roomId/read_markers", async (req) => {
      const who = await requireAuth(req, accounts);
      const roomId = roomParam(req);
      const body = parseWith(markersBody, jsonObject(req));
      const fully = body["m.fully_read"];
      if (fully !== undefined) {
        await rooms.getEvent(who.userId, roomId, fully);
        await accountData.put(who.userId, roomId, "m.fully_read", { event_id: fully });
      }
      if (body["m.read"] !== undefined) await receipts.setReceipt(who, roomId, "m.read", body["m.read"]);
      if (body["m.read.private"] !== undefined) await receipts.setReceipt(who, roomId, "m.read.private", body["m.read.private"]);
      return {};
    });
  };
