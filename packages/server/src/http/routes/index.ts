import type { FastifyPluginAsync } from "fastify";
import type { AppDeps } from "../deps";
import { accountRoutes } from "./account";
import { deviceRoutes } from "./devices";
import { loginRoutes } from "./login";
import { presenceRoutes } from "./presence";
import { profileRoutes } from "./profile";
import { profileFieldRoutes } from "./profile-fields";
import { registerRoutes } from "./register";
import { accountDataRoutes } from "./account-data";
import { directoryRoutes } from "./directory";
import { ephemeralRoutes } from "./ephemeral";
import { membershipRoutes } from "./membership";
import { notificationRoutes } from "./notifications";
import { pushRuleRoutes } from "./push-rules";
import { pusherRoutes } from "./pushers";
import { roomEventRoutes } from "./room-events";
import { roomRoutes } from "./rooms";
import { syncRoutes } from "./sync";
import { keyRoutes } from "./keys";
import { toDeviceRoutes } from "./to-device";
import { roomKeyRoutes } from "./room-keys";

/** Every client API route; registered under each of CLIENT_PREFIXES. */
export const clientRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    for (const routes of [loginRoutes, registerRoutes, accountRoutes, profileRoutes, profileFieldRoutes, deviceRoutes, presenceRoutes]) {
      await app.register(routes(deps));
    }
    for (const routes of [roomRoutes, roomEventRoutes, membershipRoutes, directoryRoutes, ephemeralRoutes, accountDataRoutes, pushRuleRoutes, pusherRoutes, notificationRoutes, syncRoutes, keyRoutes, toDeviceRoutes, roomKeyRoutes]) {
      await app.register(routes(deps));
    }
  };
