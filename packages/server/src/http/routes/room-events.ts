import { invalidParam } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { Requester } from "../../accounts/account-service";
import type { Bundles } from "../../relations/aggregations";
import { clientEvent, type RoomEvent } from "../../rooms/room-event";
import { parseRoomToken } from "../../rooms/room-token";
import { roomEventFilterSchema } from "../../sync/sync-filter";
import type { AppDeps } from "../deps";
import { queryString, requireAuth } from "../request";
import { param, roomParam } from "./room-params";

function intQuery(req: FastifyRequest, name: string, fallback: number): number {
  const raw = queryString(req, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw)) throw invalidParam(`'${name}' must be a non-negative integer.`);
  return Number(raw);
}

function filterQuery(req: FastifyRequest) {
  const raw = queryString(req, "filter");
  if (raw === undefined || raw === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalidParam("'filter' must be JSON.");
  }
  const parsed = roomEventFilterSchema.safeParse(value);
  if (!parsed.success) throw invalidParam(`Invalid filter: ${parsed.error.issues[0]?.message ?? "bad shape"}.`);
  return parsed.data;
}

export const roomEventRoutes =
  ({ accounts, rooms, clock, aggregations }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const present = (who: Requester, bundles?: Bundles) => (e: RoomEvent) => clientEvent(e, clock.now(), who, bundles?.get(e.event_id));

    // GET /rooms/{roomId}/messages
    app.get("/rooms/:roomId/messages", async (req) => {
      const who = await requireAuth(req, accounts);
      const dirRaw = queryString(req, "dir") ?? "b";
      if (dirRaw !== "b" && dirRaw !== "f") throw invalidParam("'dir' must be 'b' or 'f'.");
      const from = queryString(req, "from");
      const to = queryString(req, "to");
      const filter = filterQuery(req);
      const page = await rooms.messages(who.userId, roomParam(req), {
        dir: dirRaw,
        limit: intQuery(req, "limit", filter?.limit ?? 10),
        ...(from !== undefined && from !== "" && { from: parseRoomToken(from) }),
        ...(to !== undefined && to !== "" && { to: parseRoomToken(to) }),
        ...(filter && { filter }),
      });
      return {
        chunk: await aggregations.present(page.chunk, who),
        start: page.start,
        ...(page.end !== undefined && { end: page.end }),
        ...(page.state.length > 0 && { state: page.state.map(present(who)) }),
      };
    });

    // GET /rooms/{roomId}/context/{eventId}
    app.get("/rooms/:roomId/context/:eventId", async (req) => {
      const who = await requireAuth(req, accounts);
      const filter = filterQuery(req);
      const c = await rooms.context(who.userId, roomParam(req), param(req, "eventId"), intQuery(req, "limit", 10), filter);
      const bundled = present(who, await aggregations.forEvents([c.event, ...c.before, ...c.after], who));
      return {
        event: bundled(c.event),
        events_before: c.before.map(bundled),
        events_after: c.after.map(bundled),
        start: c.start,
        end: c.end,
        state: c.state.map(present(who)),
      };
    });
  };
