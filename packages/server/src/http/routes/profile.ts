import { forbidden, notFound, parseUserId, type UserId } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";

const displaynameBody = z.object({ displayname: z.string().max(256).nullable().optional() });
const avatarBody = z.object({ avatar_url: z.string().max(1024).nullable().optional() });

function userParam(req: FastifyRequest): UserId {
  const userId = parseUserId((req.params as { userId: string }).userId);
  if (!userId) throw notFound("Unknown user.");
  return userId;
}

export const profileRoutes =
  ({ accounts, profileFields }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const load = async (req: FastifyRequest) => {
      const user = await accounts.getUser(userParam(req));
      if (!user) throw notFound("Profile not found.");
      return user;
    };
    const present = (v: string | null) => (v === null ? {} : v);

    // GET /profile/{userId}
    app.get("/profile/:userId", async (req) => {
      const u = await load(req);
      const extended = await profileFields.extendedFields(u.userId);
      return { ...extended, ...(u.displayname !== null && { displayname: u.displayname }), ...(u.avatarUrl !== null && { avatar_url: u.avatarUrl }) };
    });

    // GET /profile/{userId}/displayname
    app.get("/profile/:userId/displayname", async (req) => {
      const u = await load(req);
      const v = present(u.displayname);
      return typeof v === "string" ? { displayname: v } : v;
    });

    // GET /profile/{userId}/avatar_url
    app.get("/profile/:userId/avatar_url", async (req) => {
      const u = await load(req);
      const v = present(u.avatarUrl);
      return typeof v === "string" ? { avatar_url: v } : v;
    });

    const owner = async (req: FastifyRequest) => {
      const who = await requireAuth(req, accounts);
      const target = userParam(req);
      if (target !== who.userId) throw forbidden("You may only change your own profile.");
      return target;
    };

    // PUT /profile/{userId}/displayname
    app.put("/profile/:userId/displayname", async (req) => {
      const userId = await owner(req);
      const body = parseWith(displaynameBody, jsonObject(req));
      await profileFields.assertFits(userId, "displayname", body.displayname ?? null);
      await accounts.setProfile(userId, { displayname: body.displayname ?? null });
      return {};
    });

    // PUT /profile/{userId}/avatar_url
    app.put("/profile/:userId/avatar_url", async (req) => {
      const userId = await owner(req);
      const body = parseWith(avatarBody, jsonObject(req));
      await profileFields.assertFits(userId, "avatar_url", body.avatar_url ?? null);
      await accounts.setProfile(userId, { avatarUrl: body.avatar_url ?? null });
      return {};
    });
  };
