import { badJson, forbidden, MatrixError, missingParam, notFound, parseUserId, type UserId } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { checkKeyName } from "../../profile/profile-keys";
import type { AppDeps } from "../deps";
import { jsonObject, requireAuth } from "../request";

interface Params {
  userId: string;
  keyName: string;
}

function params(req: FastifyRequest): { userId: UserId | null; key: string } {
  const p = req.params as Params;
  return { userId: parseUserId(p.userId), key: p.keyName };
}

/** The body as a JSON object; the profile endpoints call unparsable JSON M_BAD_JSON (spec v1.16). */
function body(req: FastifyRequest): Record<string, unknown> {
  try {
    return jsonObject(req);
  } catch (err) {
    if (err instanceof MatrixError && err.errcode === "M_NOT_JSON") throw badJson(err.message);
    throw err;
  }
}

/**
 * Extended profile fields (spec v1.16, MSC4133): GET/PUT/DELETE /profile/{userId}/{keyName}.
 * `displayname` and `avatar_url` keep their own routes (registered as static paths, they win);
 * DELETE of either lands here and clears it. Anyone may read; only the owner may write.
 */
export const profileFieldRoutes =
  ({ accounts, profileFields }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const owner = async (req: FastifyRequest): Promise<{ userId: UserId; key: string }> => {
      const who = await requireAuth(req, accounts);
      const { userId, key } = params(req);
      if (userId !== who.userId) throw forbidden("You may only change your own profile.");
      return { userId, key };
    };

    // GET /profile/{userId}/{keyName}
    app.get("/profile/:userId/:keyName", async (req) => {
      const { userId, key } = params(req);
      if (!userId) throw notFound("Unknown user.");
      return { [key]: await profileFields.get(userId, key) };
    });

    // PUT /profile/{userId}/{keyName}
    app.put("/profile/:userId/:keyName", async (req) => {
      const { userId, key } = await owner(req);
      checkKeyName(key);
      const content = body(req);
      if (!Object.hasOwn(content, key)) throw missingParam(`The body must hold the field "${key}".`);
      await profileFields.set(userId, key, content[key]);
      return {};
    });

    // DELETE /profile/{userId}/{keyName}
    app.delete("/profile/:userId/:keyName", async (req) => {
      const { userId, key } = await owner(req);
      await profileFields.remove(userId, key);
      return {};
    });
  };
