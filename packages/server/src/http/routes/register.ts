import { forbidden, invalidParam, MatrixError, missingParam, parseDeviceId, type DeviceId } from "@axon/protocol";
import { randomBytes } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, queryString } from "../request";

const registerBody = z.object({
  username: z.string().optional(),
  password: z.string().min(1).max(512).optional(),
  device_id: z.string().optional(),
  initial_device_display_name: z.string().max(512).optional(),
  inhibit_login: z.boolean().optional(),
  auth: z.object({ type: z.string().optional(), session: z.string().optional() }).loose().optional(),
});

/** The user-interactive-auth answer when `auth` is missing: one stage, m.login.dummy. */
function uiaChallenge(session: string): MatrixError {
  return new MatrixError(401, "M_FORBIDDEN", "Authentication required.", {
    flows: [{ stages: ["m.login.dummy"] }],
    params: {},
    session,
  });
}

export const registerRoutes =
  ({ accounts, config, authLimits }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /register/available
    app.get("/register/available", async (req) => {
      const username = queryString(req, "username");
      if (!username) throw missingParam("Missing 'username'.");
      if (!config.registration.enabled) throw forbidden("Registration is disabled.");
      if (!(await accounts.isAvailable(username))) {
        throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
      }
      return { available: true };
    });

    // POST /register
    app.post("/register", async (req) => {
      const kind = queryString(req, "kind") ?? "user";
      if (kind !== "user") throw forbidden("Guest access is disabled.");
      if (!config.registration.enabled) throw forbidden("Registration is disabled.");
      authLimits.registerFrom(authLimits.addresses.ofRequest(req));
      const body = parseWith(registerBody, jsonObject(req));
      const localpart = (body.username ?? `user_${randomBytes(6).toString("hex")}`).toLowerCase();
      accounts.checkLocalpart(localpart);
      if (!body.auth) {
        // Tell the client which flow to follow, after the checks it can act on.
        if (!(await accounts.isAvailable(localpart))) throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
        throw uiaChallenge(randomBytes(12).toString("base64url"));
      }
      if (body.auth.type !== "m.login.dummy") throw uiaChallenge(body.auth.session ?? randomBytes(12).toString("base64url"));
      if (!body.password) throw invalidParam("A password is required.");
      let deviceId: DeviceId | null = null;
      if (body.device_id !== undefined) {
        deviceId = parseDeviceId(body.device_id);
        if (!deviceId) throw invalidParam("Invalid 'device_id'.");
      }
      const userId = await accounts.createUser(localpart, body.password);
      if (body.inhibit_login) return { user_id: userId, home_server: config.server_name };
      const session = await accounts.startSession(userId, deviceId, body.initial_device_display_name ?? null);
      return {
        user_id: userId,
        access_token: session.accessToken,
        device_id: session.deviceId,
        home_server: config.server_name,
      };
    });
  };
