import { notFound } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type { BackupSession } from "../../e2ee/key-backup-store";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, queryString, requireAuth } from "../request";

const versionBody = z.object({ algorithm: z.string().min(1).max(255), auth_data: z.record(z.string(), z.unknown()), version: z.string().optional() }).loose();
const sessionData = z
  .object({
    first_message_index: z.number().int().min(0),
    forwarded_count: z.number().int().min(0),
    is_verified: z.boolean(),
    session_data: z.record(z.string(), z.unknown()),
  })
  .loose();
const roomBody = z.object({ sessions: z.record(z.string(), sessionData) }).loose();
const allBody = z.object({ rooms: z.record(z.string(), roomBody) }).loose();

type Data = z.output<typeof sessionData>;
const toSession = (roomId: string, sessionId: string, d: Data): BackupSession => ({
  roomId,
  sessionId,
  firstMessageIndex: d.first_message_index,
  forwardedCount: d.forwarded_count,
  isVerified: d.is_verified,
  sessionData: d.session_data as Record<string, unknown>,
});
const present = (s: BackupSession) => ({ first_message_index: s.firstMessageIndex, forwarded_count: s.forwardedCount, is_verified: s.isVerified, session_data: s.sessionData });

function params(req: FastifyRequest): { roomId: string | null; sessionId: string | null } {
  const p = req.params as { roomId?: string; sessionId?: string };
  return { roomId: p.roomId ?? null, sessionId: p.sessionId ?? null };
}

/** Server-side key backup: /room_keys/version and /room_keys/keys (whole, per room, per session). */
export const roomKeyRoutes =
  ({ accounts, e2ee }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const backup = e2ee.keyBackup;
    app.post("/room_keys/version", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(versionBody, jsonObject(req));
      return backup.create(who.userId, body.algorithm, body.auth_data);
    });
    app.get("/room_keys/version", async (req) => backup.info((await requireAuth(req, accounts)).userId, null));
    app.get("/room_keys/version/:version", async (req) => backup.info((await requireAuth(req, accounts)).userId, (req.params as { version: string }).version));
    app.put("/room_keys/version/:version", async (req) => {
      const who = await requireAuth(req, accounts);
      await backup.update(who.userId, (req.params as { version: string }).version, parseWith(versionBody, jsonObject(req)));
      return {};
    });
    app.delete("/room_keys/version/:version", async (req) => {
      const who = await requireAuth(req, accounts);
      await backup.delete(who.userId, (req.params as { version: string }).version);
      return {};
    });

    for (const path of ["/room_keys/keys", "/room_keys/keys/:roomId", "/room_keys/keys/:roomId/:sessionId"]) {
      app.put(path, async (req) => {
        const who = await requireAuth(req, accounts);
        const { roomId, sessionId } = params(req);
        const raw = jsonObject(req);
        let sessions: BackupSession[];
        if (roomId !== null && sessionId !== null) sessions = [toSession(roomId, sessionId, parseWith(sessionData, raw))];
        else if (roomId !== null) sessions = Object.entries(parseWith(roomBody, raw).sessions).map(([s, d]) => toSession(roomId, s, d));
        else sessions = Object.entries(parseWith(allBody, raw).rooms).flatMap(([r, room]) => Object.entries(room.sessions).map(([s, d]) => toSession(r, s, d)));
        return backup.put(who.userId, queryString(req, "version"), sessions);
      });
      app.get(path, async (req) => {
        const who = await requireAuth(req, accounts);
        const { roomId, sessionId } = params(req);
        const found = await backup.get(who.userId, queryString(req, "version"), roomId, sessionId);
        if (sessionId !== null) {
          if (!found[0]) throw notFound("No such session in the backup.");
          return present(found[0]);
        }
        const rooms: Record<string, { sessions: Record<string, unknown> }> = {};
        for (const s of found) (rooms[s.roomId] ??= { sessions: {} }).sessions[s.sessionId] = present(s);
        // A room with nothing backed up is an empty room, not a 404 (the reference server does the same).
        return roomId !== null ? (rooms[roomId] ?? { sessions: {} }) : { rooms };
      });
      app.delete(path, async (req) => {
        const who = await requireAuth(req, accounts);
        const { roomId, sessionId } = params(req);
        return backup.remove(who.userId, queryString(req, "version"), roomId, sessionId);
      });
    }
  };
