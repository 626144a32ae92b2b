import { forbidden, invalidParam, missingParam, unknown, parseDeviceId, parseUserId, userIdOf, type DeviceId, type UserId } from "@axon/protocol";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";

const loginBody = z.object({
  type: z.string(),
  identifier: z.object({ type: z.string(), user: z.string().optional() }).optional(),
  user: z.string().optional(),
  password: z.string(),
  device_id: z.string().optional(),
  initial_device_display_name: z.string().max(512).optional(),
});

/**
 * Accepts a localpart or a full user id, in any case (the localparts we create are lower case);
 * only our own server's users can log in here.
 */
export function resolveLoginUser(raw: string, serverName: string): UserId {
  const colon = raw.indexOf(":");
  const name = raw.startsWith("@") && colon > 0 ? raw.slice(0, colon).toLowerCase() + raw.slice(colon) : userIdOf(raw.toLowerCase(), serverName);
  const userId = parseUserId(name);
  if (!userId || !userId.endsWith(`:${serverName}`)) throw forbidden("Invalid username or password.");
  return userId;
}

export const loginRoutes =
  ({ accounts, config, authLimits }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /login
    app.get("/login", async () => ({ flows: [{ type: "m.login.password" }] }));

    // POST /login
    app.post("/login", async (req) => {
      authLimits.loginFrom(authLimits.addresses.ofRequest(req));
      const body = parseWith(loginBody, jsonObject(req));
      if (body.type !== "m.login.password") {
        throw unknown(`Unsupported login type '${body.type}'.`);
      }
      let name: string | undefined = body.user;
      if (body.identifier) {
        if (body.identifier.type !== "m.id.user") throw forbidden("Only m.id.user identifiers are supported.");
        name = body.identifier.user;
      }
      if (!name) throw missingParam("Missing 'identifier.user'.");
      const userId = resolveLoginUser(name, config.server_name);
      authLimits.loginAs(userId);
      await accounts.checkPassword(userId, body.password);
      let deviceId: DeviceId | null = null;
      if (body.device_id !== undefined) {
        deviceId = parseDeviceId(body.device_id);
        if (!deviceId) throw invalidParam("Invalid 'device_id'.");
      }
      const session = await accounts.startSession(userId, deviceId, body.initial_device_display_name ?? null);
      return {
        user_id: session.userId,
        access_token: session.accessToken,
        device_id: session.deviceId,
        home_server: config.server_name,
        well_known: { "m.homeserver": { base_url: config.public_baseurl.replace(/\/$/, "") } },
      };
    });

    // POST /logout
    app.post("/logout", async (req) => {
      const who = await requireAuth(req, accounts);
      await accounts.logout(who.userId, who.deviceId);
      return {};
    });

    // POST /logout/all
    app.post("/logout/all", async (req) => {
      const who = await requireAuth(req, accounts);
      await accounts.logoutAll(who.userId);
      return {};
    });
  };
