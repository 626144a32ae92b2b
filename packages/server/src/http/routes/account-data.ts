import { badJson, forbidden, MatrixError, notFound } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { Requester } from "../../accounts/account-service";
import { BUSY_PUSH_TYPE, parseBusyPushSetting } from "../../push/busy-hold";
import type { AppDeps } from "../deps";
import { jsonObject, requireAuth } from "../request";
import { param, roomParam, userParam } from "./room-params";

/** Types the server manages itself: clients set them through their own endpoints. */
const SERVER_MANAGED = new Set(["m.fully_read", "m.push_rules"]);
/** Our own global types the server acts on: their content is checked before it is stored. */
const CHECKED: Record<string, (content: Record<string, unknown>) => unknown> = { [BUSY_PUSH_TYPE]: parseBusyPushSetting };

export const accountDataRoutes =
  ({ accounts, accountData }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const owner = async (req: FastifyRequest): Promise<Requester> => {
      const who = await requireAuth(req, accounts);
      if (userParam(req) !== who.userId) throw forbidden("You may only access your own account data.");
      return who;
    };
    const writable = (type: string) => {
      if (SERVER_MANAGED.has(type)) throw new MatrixError(405, "M_BAD_JSON", `'${type}' cannot be set through this API.`);
      if (type.length === 0 || type.length > 255) throw badJson("Invalid account data type.");
    };

    // GET /user/{userId}/account_data/{type}
    app.get("/user/:userId/account_data/:type", async (req) => {
      const who = await owner(req);
      const content = await accountData.get(who.userId, null, param(req, "type"));
      if (!content) throw notFound("Account data not found.");
      return content;
    });

    // PUT /user/{userId}/account_data/{type}
    app.put("/user/:userId/account_data/:type", async (req) => {
      const who = await owner(req);
      const type = param(req, "type");
      writable(type);
      const content = jsonObject(req);
      if (Object.hasOwn(CHECKED, type)) CHECKED[type]!(content);
      await accountData.put(who.userId, null, type, content);
      return {};
    });

    // GET /user/{userId}/rooms/{roomId}/account_data/{type}
    app.get("/user/:userId/rooms/:roomId/account_data/:type", async (req) => {
      const who = await owner(req);
      const content = await accountData.get(who.userId, roomParam(req), param(req, "type"));
      if (!content) throw notFound("Account data not found.");
      return content;
    });

    // PUT /user/{userId}/rooms/{roomId}/account_data/{type}
    app.put("/user/:userId/rooms/:roomId/account_data/:type", async (req) => {
      const who = await owner(req);
      const type = param(req, "type");
      writable(type);
      await accountData.put(who.userId, roomParam(req), type, jsonObject(req));
      return {};
    });
  };
