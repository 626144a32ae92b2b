import type { FastifyPluginAsync } from "fastify";
import type { AppDeps } from "../deps";
import { requireAuth } from "../request";

export const accountRoutes =
  ({ accounts }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /account/whoami
    app.get("/account/whoami", async (req) => {
      const who = await requireAuth(req, accounts);
      return { user_id: who.userId, device_id: who.deviceId, is_guest: false };
    });

    // GET /capabilities
    app.get("/capabilities", async (req) => {
      await requireAuth(req, accounts);
      return {
        capabilities: {
          "m.change_password": { enabled: false },
          "m.room_versions": { default: "10", available: { "10": "stable" } },
          "m.set_displayname": { enabled: true },
          "m.set_avatar_url": { enabled: true },
          "m.profile_fields": { enabled: true },
          "m.3pid_changes": { enabled: false },
        },
      };
    });
  };
