import { notFound, parseDeviceId, type DeviceId } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type { DeviceRecord } from "../../accounts/account-store";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";
import { requirePassword } from "../user-interactive";

const renameBody = z.object({ display_name: z.string().max(512).nullable().optional() });
const deleteBody = z.object({ auth: z.unknown().optional() }).loose();
const deleteManyBody = z.object({ devices: z.array(z.string().max(255)).max(1000), auth: z.unknown().optional() }).loose();

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

    // DELETE /devices/{deviceId}: user-interactive auth (the account's password), as the spec asks.
    app.delete("/devices/:deviceId", async (req) => {
      const who = await requireAuth(req, accounts);
      const deviceId = deviceParam(req);
      const body = parseWith(deleteBody, jsonObject(req, { optional: true }));
      await accounts.getDevice(who.userId, deviceId);
      await requirePassword(accounts, who.userId, body.auth);
      await accounts.deleteDevice(who.userId, deviceId);
      return {};
    });

    // POST /delete_devices: the same for several; unknown ids are skipped.
    app.post("/delete_devices", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(deleteManyBody, jsonObject(req));
      await requirePassword(accounts, who.userId, body.auth);
      const mine = new Set((await accounts.listDevices(who.userId)).map((d) => d.deviceId as string));
      for (const id of new Set(body.devices)) if (mine.has(id)) await accounts.deleteDevice(who.userId, id as DeviceId);
      return {};
    });
  };
