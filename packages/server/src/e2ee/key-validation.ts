import { invalidParam, type DeviceId, type UserId } from "@axon/protocol";
import { z } from "zod";
import type { JsonObject, KeyEntry } from "./e2ee-store";
import { verifySigned } from "./signing";

const signatures = z.record(z.string(), z.record(z.string(), z.string()));

export const deviceKeysSchema = z
  .object({
    user_id: z.string(),
    device_id: z.string(),
    algorithms: z.array(z.string()),
    keys: z.record(z.string(), z.string()),
    signatures,
  })
  .loose();

const keyValue = z.union([z.string(), z.object({ key: z.string(), signatures }).loose()]);

export const uploadSchema = z
  .object({
    device_keys: deviceKeysSchema.optional(),
    one_time_keys: z.record(z.string(), keyValue).optional(),
    fallback_keys: z.record(z.string(), keyValue).optional(),
    "org.matrix.msc2732.fallback_keys": z.record(z.string(), keyValue).optional(),
  })
  .loose();

export type UploadBody = z.output<typeof uploadSchema>;

/** `algorithm:keyId` → its parts; 400 when either is empty. */
export function splitKeyId(raw: string): { algorithm: string; keyId: string } {
  const i = raw.indexOf(":");
  if (i <= 0 || i === raw.length - 1) throw invalidParam(`Key id '${raw}' is not algorithm:key_id.`);
  return { algorithm: raw.slice(0, i), keyId: raw.slice(i + 1) };
}

/** Device keys must name the uploading user and device, carry its ed25519 key and be signed by it. */
export function checkDeviceKeys(keys: JsonObject & z.output<typeof deviceKeysSchema>, userId: UserId, deviceId: DeviceId): string {
  if (keys.user_id !== userId) throw invalidParam("device_keys.user_id is not yours.");
  if (keys.device_id !== deviceId) throw invalidParam("device_keys.device_id is not the device of this access token.");
  const ed = keys.keys[`ed25519:${deviceId}`];
  if (ed === undefined) throw invalidParam(`device_keys.keys has no ed25519:${deviceId}.`);
  for (const id of Object.keys(keys.keys)) {
    const { keyId } = splitKeyId(id);
    if (keyId !== deviceId) throw invalidParam(`device_keys.keys.${id} is not for this device.`);
  }
  if (!verifySigned(keys, userId, `ed25519:${deviceId}`, ed)) throw invalidParam("device_keys are not signed by the device's ed25519 key.");
  return ed;
}

/** One-time or fallback keys as entries; signed ones must verify against the device's key when it is known. */
export function keyEntries(raw: Record<string, unknown> | undefined, userId: UserId, deviceId: DeviceId, ed25519: string | null, what: string): KeyEntry[] {
  const out: KeyEntry[] = [];
  for (const [id, value] of Object.entries(raw ?? {})) {
    const { algorithm, keyId } = splitKeyId(id);
    if (typeof value === "object" && value !== null && ed25519 !== null && !verifySigned(value as JsonObject, userId, `ed25519:${deviceId}`, ed25519)) {
      throw invalidParam(`${what}.${id} is not signed by the device's ed25519 key.`);
    }
    out.push({ algorithm, keyId, key: value });
  }
  return out;
}

export const querySchema = z
  .object({
    device_keys: z.record(z.string(), z.array(z.string())),
    timeout: z.number().optional(),
  })
  .loose();

export const claimSchema = z
  .object({
    one_time_keys: z.record(z.string(), z.record(z.string(), z.string())),
    timeout: z.number().optional(),
  })
  .loose();
