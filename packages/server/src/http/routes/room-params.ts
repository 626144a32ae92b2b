import { invalidParam, parseRoomId, parseUserId, type RoomId, type UserId } from "@axon/protocol";
import type { FastifyRequest } from "fastify";

/** Path parameters shared by the room routes, parsed once at the edge. */
export function roomParam(req: FastifyRequest): RoomId {
  const raw = (req.params as { roomId: string }).roomId;
  const id = parseRoomId(raw);
  if (!id) throw invalidParam(`'${raw}' is not a room id.`);
  return id;
}

export function userParam(req: FastifyRequest): UserId {
  const raw = (req.params as { userId: string }).userId;
  const id = parseUserId(raw);
  if (!id) throw invalidParam(`'${raw}' is not a user id.`);
  return id;
}

export function param(req: FastifyRequest, name: string): string {
  return (req.params as Record<string, string>)[name] ?? "";
}
