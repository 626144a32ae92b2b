import { invalidParam, parseRoomAlias, parseRoomId, type RoomAlias } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";
import { param, roomParam } from "./room-params";

const aliasBody = z.object({ room_id: z.string() });
const visibilityBody = z.object({ visibility: z.enum(["public", "private"]) });

function aliasParam(req: FastifyRequest): RoomAlias {
  const raw = param(req, "roomAlias");
  const alias = parseRoomAlias(raw);
  if (!alias) throw invalidParam(`'${raw}' is not a room alias.`);
  return alias;
}

export const directoryRoutes =
  ({ accounts, rooms, config }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /directory/room/{roomAlias}
    app.get("/directory/room/:roomAlias", async (req) => {
      const roomId = await rooms.resolveAlias(aliasParam(req));
      return { room_id: roomId, servers: [config.server_name] };
    });

    // PUT /directory/room/{roomAlias}
    app.put("/directory/room/:roomAlias", async (req) => {
      const who = await requireAuth(req, accounts);
      const alias = aliasParam(req);
      const body = parseWith(aliasBody, jsonObject(req));
      const roomId = parseRoomId(body.room_id);
      if (!roomId) throw invalidParam(`'${body.room_id}' is not a room id.`);
      await rooms.putAlias(who, alias, roomId);
      return {};
    });

    // DELETE /directory/room/{roomAlias}
    app.delete("/directory/room/:roomAlias", async (req) => {
      const who = await requireAuth(req, accounts);
      await rooms.deleteAlias(who, aliasParam(req));
      return {};
    });

    // GET /directory/list/room/{roomId}
    app.get("/directory/list/room/:roomId", async (req) => ({ visibility: await rooms.visibility(roomParam(req)) }));

    // PUT /directory/list/room/{roomId}
    app.put("/directory/list/room/:roomId", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(visibilityBody, jsonObject(req));
      await rooms.setVisibility(who, roomParam(req), body.visibility);
      return {};
    });

    // GET /publicRooms (and POST /publicRooms with a filter body: a small server lists everything)
    const list = async () => {
      const chunk = await rooms.publicRooms();
      return { chunk, total_room_count_estimate: chunk.length };
    };
    app.get("/publicRooms", list);
    // POST /publicRooms
    app.post("/publicRooms", async (req) => {
      await requireAuth(req, accounts);
      return list();
    });
  };
