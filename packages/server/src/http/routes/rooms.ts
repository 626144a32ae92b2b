import { invalidParam, parseUserId } from "@axon/protocol";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { clientEvent } from "../../rooms/room-event";
import type { Requester } from "../../accounts/account-service";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";
import { param, roomParam } from "./room-params";

const jsonObj = z.record(z.string(), z.unknown());
const createRoomBody = z.object({
  visibility: z.enum(["public", "private"]).optional(),
  room_alias_name: z.string().min(1).max(200).optional(),
  name: z.string().max(1000).optional(),
  topic: z.string().max(10000).optional(),
  invite: z.array(z.string()).max(100).optional(),
  room_version: z.string().optional(),
  creation_content: jsonObj.optional(),
  initial_state: z.array(z.object({ type: z.string().min(1), state_key: z.string().optional(), content: jsonObj })).optional(),
  preset: z.enum(["private_chat", "public_chat", "trusted_private_chat"]).optional(),
  is_direct: z.boolean().optional(),
  power_level_content_override: jsonObj.optional(),
});

export const roomRoutes =
  ({ accounts, rooms, clock, aggregations }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const present = (who: Requester) => (e: Parameters<typeof clientEvent>[0]) => clientEvent(e, clock.now(), who);

    // POST /createRoom
    app.post("/createRoom", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(createRoomBody, jsonObject(req, { optional: true }));
      const invite = (body.invite ?? []).map((raw) => {
        const id = parseUserId(raw);
        if (!id) throw invalidParam(`'${raw}' is not a user id.`);
        return id;
      });
      const roomId = await rooms.createRoom(who, {
        invite,
        ...(body.visibility && { visibility: body.visibility }),
        ...(body.preset && { preset: body.preset }),
        ...(body.name !== undefined && { name: body.name }),
        ...(body.topic !== undefined && { topic: body.topic }),
        ...(body.is_direct !== undefined && { isDirect: body.is_direct }),
        ...(body.initial_state && { initialState: body.initial_state }),
        ...(body.room_alias_name !== undefined && { aliasLocalpart: body.room_alias_name }),
        ...(body.power_level_content_override && { powerLevelOverride: body.power_level_content_override }),
        ...(body.creation_content && { creationContent: body.creation_content }),
        ...(body.room_version && { roomVersion: body.room_version }),
      });
      return { room_id: roomId };
    });

    // GET /joined_rooms
    app.get("/joined_rooms", async (req) => {
      const who = await requireAuth(req, accounts);
      return { joined_rooms: rooms.joinedRooms(who.userId) };
    });

    // PUT /rooms/{roomId}/send/{eventType}/{txnId}
    app.put("/rooms/:roomId/send/:eventType/:txnId", async (req) => {
      const who = await requireAuth(req, accounts);
      const content = jsonObject(req);
      return { event_id: await rooms.send(who, roomParam(req), param(req, "eventType"), content, param(req, "txnId")) };
    });

    // PUT /rooms/{roomId}/state/{eventType}/{stateKey}
    const putState = async (req: Parameters<typeof requireAuth>[0]) => {
      const who = await requireAuth(req, accounts);
      const content = jsonObject(req);
      return { event_id: await rooms.setState(who, roomParam(req), param(req, "eventType"), param(req, "stateKey"), content) };
    };
    app.put("/rooms/:roomId/state/:eventType/:stateKey", putState);
    // PUT /rooms/{roomId}/state/{eventType}
    app.put("/rooms/:roomId/state/:eventType", putState);

    // GET /rooms/{roomId}/state
    app.get("/rooms/:roomId/state", async (req) => {
      const who = await requireAuth(req, accounts);
      return (await rooms.stateEvents(who.userId, roomParam(req))).map(present(who));
    });

    // GET /rooms/{roomId}/state/{eventType}/{stateKey}
    const getState = async (req: Parameters<typeof requireAuth>[0]) => {
      const who = await requireAuth(req, accounts);
      const e = await rooms.stateEvent(who.userId, roomParam(req), param(req, "eventType"), param(req, "stateKey"));
      return (req.query as Record<string, unknown>).format === "event" ? present(who)(e) : e.content;
    };
    app.get("/rooms/:roomId/state/:eventType/:stateKey", getState);
    // GET /rooms/{roomId}/state/{eventType}
    app.get("/rooms/:roomId/state/:eventType", getState);

    // GET /rooms/{roomId}/members
    app.get("/rooms/:roomId/members", async (req) => {
      const who = await requireAuth(req, accounts);
      const q = req.query as Record<string, unknown>;
      const only = typeof q.membership === "string" ? q.membership : undefined;
      const not = typeof q.not_membership === "string" ? q.not_membership : undefined;
      const chunk = (await rooms.stateEvents(who.userId, roomParam(req))).filter((e) => {
        if (e.type !== "m.room.member") return false;
        const m = e.content.membership;
        return (only === undefined || m === only) && (not === undefined || m !== not);
      });
      return { chunk: chunk.map(present(who)) };
    });

    // GET /rooms/{roomId}/joined_members
    app.get("/rooms/:roomId/joined_members", async (req) => {
      const who = await requireAuth(req, accounts);
      const roomId = roomParam(req);
      if (!rooms.joinedRooms(who.userId).includes(roomId)) await rooms.visibleUpTo(who.userId, roomId);
      const joined: Record<string, { display_name?: string; avatar_url?: string }> = {};
      for (const e of await rooms.stateEvents(who.userId, roomId)) {
        if (e.type !== "m.room.member" || e.content.membership !== "join") continue;
        const { displayname, avatar_url } = e.content;
        joined[e.state_key ?? ""] = {
          ...(typeof displayname === "string" && { display_name: displayname }),
          ...(typeof avatar_url === "string" && { avatar_url }),
        };
      }
      return { joined };
    });

    // GET /rooms/{roomId}/event/{eventId}
    app.get("/rooms/:roomId/event/:eventId", async (req) => {
      const who = await requireAuth(req, accounts);
      const [e] = await aggregations.present([await rooms.getEvent(who.userId, roomParam(req), param(req, "eventId"))], who);
      return e;
    });

    // GET /rooms/{roomId}/aliases
    app.get("/rooms/:roomId/aliases", async (req) => {
      const who = await requireAuth(req, accounts);
      return { aliases: await rooms.aliasesOf(who.userId, roomParam(req)) };
    });
  };
