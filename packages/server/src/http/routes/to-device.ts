import { invalidParam, parseDeviceId, parseUserId, serverOf, type DeviceId, type UserId } from "@axon/protocol";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { JsonObject } from "../../e2ee/e2ee-store";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";

const sendBody = z.object({ messages: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))) }).loose();

/** PUT /sendToDevice/{eventType}/{txnId}: stored before the answer, idempotent per device and transaction id. */
export const toDeviceRoutes =
  ({ accounts, e2ee, config }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    app.put("/sendToDevice/:eventType/:txnId", async (req) => {
      const who = await requireAuth(req, accounts);
      const { eventType, txnId } = req.params as { eventType: string; txnId: string };
      if (eventType.length === 0 || eventType.length > 255) throw invalidParam("Bad event type.");
      if (txnId.length === 0 || txnId.length > 255) throw invalidParam("Bad transaction id.");
      const body = parseWith(sendBody, jsonObject(req));
      const out: { userId: UserId; deviceId: DeviceId; type: string; content: JsonObject }[] = [];
      for (const [rawUser, byDevice] of Object.entries(body.messages)) {
        const userId = parseUserId(rawUser);
        if (!userId) throw invalidParam(`'${rawUser}' is not a user id.`);
        if (serverOf(userId) !== config.server_name) continue; // no federation: nowhere to send it
        const devices = new Set((await accounts.listDevices(userId)).map((d) => d.deviceId));
        const chosen = new Map<DeviceId, JsonObject>();
        for (const [rawDevice, content] of Object.entries(byDevice)) {
          if (rawDevice === "*") {
            for (const d of devices) if (!chosen.has(d)) chosen.set(d, content as JsonObject);
            continue;
          }
          const deviceId = parseDeviceId(rawDevice);
          if (!deviceId) throw invalidParam(`'${rawDevice}' is not a device id.`);
          if (devices.has(deviceId)) chosen.set(deviceId, content as JsonObject);
        }
        for (const [deviceId, content] of chosen) out.push({ userId, deviceId, type: eventType, content });
      }
      await e2ee.toDevice.send(who.userId, who.deviceId, txnId, out);
      return {};
    });
  };
