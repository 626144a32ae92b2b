import { invalidParam, parseUserId, serverOf, type DeviceId, type UserId } from "@axon/protocol";
import { isDeepStrictEqual } from "node:util";
import type { AccountService } from "../accounts/account-service";
import type { DeviceLists } from "./device-lists";
import type { E2eeKeyStore, JsonObject, KeyCounts } from "./e2ee-store";
import { checkDeviceKeys, keyEntries, type UploadBody } from "./key-validation";
import type { CrossSigningView } from "./cross-signing";

const deviceKey = (userId: UserId, deviceId: DeviceId) => `${userId}\u0000${deviceId}`;
const CACHE_MAX = 200_000;

/** Device keys, one-time and fallback keys: upload, query, claim; the counts /sync reports. */
export class KeyService {
  /** device → its counts, so that /sync does not query for them; kept in step by every write here. */
  private readonly countCache = new Map<string, KeyCounts>();
  private countListener: (userId: UserId, deviceId: DeviceId) => void = () => {};
  private crossSigning: CrossSigningView | null = null;

  constructor(
    private readonly store: E2eeKeyStore,
    private readonly lists: DeviceLists,
    private readonly accounts: AccountService,
    private readonly serverName: string,
  ) {}

  /** Cross-signing keys and signatures to merge into /keys/query answers. */
  useCrossSigning(view: CrossSigningView): void {
    this.crossSigning = view;
  }

  /** Told when a device's key counts change here (in a cluster, other processes drop their copy). */
  onCountsChanged(listener: (userId: UserId, deviceId: DeviceId) => void): void {
    this.countListener = listener;
  }

  /** Drops a cached count (another process changed it), or all of them (`null`: after missed messages). */
  forgetCounts(device: { userId: UserId; deviceId: DeviceId } | null): void {
    if (device) this.countCache.delete(deviceKey(device.userId, device.deviceId));
    else this.countCache.clear();
  }

  cachedCounts(userId: UserId, deviceId: DeviceId): KeyCounts | undefined {
    return this.countCache.get(deviceKey(userId, deviceId));
  }

  async counts(userId: UserId, deviceId: DeviceId): Promise<KeyCounts> {
    const cached = this.cachedCounts(userId, deviceId);
    if (cached) return cached;
    return this.refreshCounts(userId, deviceId);
  }

  async upload(userId: UserId, deviceId: DeviceId, body: UploadBody): Promise<{ one_time_key_counts: Record<string, number> }> {
    const existing = await this.store.getDeviceKeys(userId, deviceId);
    let ed25519 = existing ? ((existing.keys as Record<string, string> | undefined)?.[`ed25519:${deviceId}`] ?? null) : null;
    let deviceKeys: JsonObject | null = null;
    if (body.device_keys) {
      ed25519 = checkDeviceKeys(body.device_keys, userId, deviceId);
      const { unsigned: _u, ...keys } = body.device_keys;
      if (!existing || !isDeepStrictEqual(existing, keys)) deviceKeys = keys;
    }
    const oneTimeKeys = keyEntries(body.one_time_keys, userId, deviceId, ed25519, "one_time_keys");
    const fallbackKeys = keyEntries(body.fallback_keys ?? body["org.matrix.msc2732.fallback_keys"], userId, deviceId, ed25519, "fallback_keys");
    const seen = await this.store.existingOneTimeKeys(userId, deviceId, oneTimeKeys);
    const fresh = oneTimeKeys.filter((k) => {
      const old = seen.get(`${k.algorithm}:${k.keyId}`);
      if (old === undefined) return true;
      if (!isDeepStrictEqual(old, k.key)) throw invalidParam(`One-time key ${k.algorithm}:${k.keyId} already exists with another value.`);
      return false;
    });
    if (deviceKeys || fresh.length > 0 || fallbackKeys.length > 0) {
      const write = (change: Parameters<E2eeKeyStore["upload"]>[0]["change"]) =>
        this.store.upload({ userId, deviceId, deviceKeys, oneTimeKeys: fresh, fallbackKeys, change });
      // New or changed device keys: everyone who shares a room with the user hears of it.
      if (deviceKeys) await this.lists.keysChanged([userId], write);
      else await write(null);
    }
    const counts = await this.refreshCounts(userId, deviceId);
    return { one_time_key_counts: counts.oneTimeKeys };
  }

  async query(requester: UserId, wanted: Record<string, string[]>): Promise<JsonObject> {
    const deviceKeys: Record<string, Record<string, JsonObject>> = {};
    const failures: Record<string, JsonObject> = {};
    const cross: Record<string, Record<string, JsonObject>> = { master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
    for (const [rawUser, devices] of Object.entries(wanted)) {
      const userId = this.localUser(rawUser, failures);
      if (!userId) continue;
      const found = await this.store.queryDeviceKeys(userId, devices.length === 0 ? null : (devices as DeviceId[]));
      const names = new Map((await this.accounts.listDevices(userId)).map((d) => [d.deviceId, d.displayName]));
      const extra = this.crossSigning ? await this.crossSigning.deviceSignatures(userId) : new Map<string, Record<string, string>>();
      const out: Record<string, JsonObject> = {};
      for (const [deviceId, keys] of found) {
        if (!names.has(deviceId)) continue;
        const name = names.get(deviceId);
        const sigs = mergeSignatures(keys.signatures, userId, extra.get(deviceId));
        out[deviceId] = { ...keys, signatures: sigs, unsigned: name ? { device_display_name: name } : {} };
      }
      deviceKeys[userId] = out;
      if (this.crossSigning) await this.crossSigning.addToQuery(requester, userId, cross);
    }
    const res: JsonObject = { device_keys: deviceKeys, failures };
    for (const [k, v] of Object.entries(cross)) if (Object.keys(v).length > 0) res[k] = v;
    return res;
  }

  async claim(wanted: Record<string, Record<string, string>>): Promise<JsonObject> {
    const oneTimeKeys: Record<string, Record<string, Record<string, unknown>>> = {};
    const failures: Record<string, JsonObject> = {};
    for (const [rawUser, devices] of Object.entries(wanted)) {
      const userId = this.localUser(rawUser, failures);
      if (!userId) continue;
      for (const [deviceId, algorithm] of Object.entries(devices)) {
        const key = await this.store.claim(userId, deviceId as DeviceId, algorithm);
        if (!key) continue;
        ((oneTimeKeys[userId] ??= {})[deviceId] ??= {})[`${key.algorithm}:${key.keyId}`] = key.key;
        await this.refreshCounts(userId, deviceId as DeviceId);
      }
    }
    return { one_time_keys: oneTimeKeys, failures };
  }

  /** The devices are gone: their keys go, and whoever shares a room with the user hears of it. */
  async devicesRemoved(userId: UserId, deviceIds: DeviceId[]): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.lists.keysChanged([userId], (change) => this.store.deleteDevices(userId, deviceIds, change));
    for (const d of deviceIds) this.countCache.delete(deviceKey(userId, d));
  }

  /** The user id when it is one of ours; a remote one is a failure of its server (no federation). */
  private localUser(raw: string, failures: Record<string, JsonObject>): UserId | null {
    const userId = parseUserId(raw);
    if (!userId) throw invalidParam(`'${raw}' is not a user id.`);
    if (serverOf(userId) === this.serverName) return userId;
    failures[serverOf(userId)] = { errcode: "M_UNRECOGNIZED", error: "This server does not federate." };
    return null;
  }

  private async refreshCounts(userId: UserId, deviceId: DeviceId): Promise<KeyCounts> {
    const counts = await this.store.counts(userId, deviceId);
    if (this.countCache.size >= CACHE_MAX) this.countCache.clear();
    this.countCache.set(deviceKey(userId, deviceId), counts);
    this.countListener(userId, deviceId);
    return counts;
  }
}

/** The device's own signatures plus those others uploaded for it (e.g. its self-signing key's). */
export function mergeSignatures(own: unknown, userId: UserId, extra: Record<string, string> | undefined): Record<string, Record<string, string>> {
  const sigs = { ...((own ?? {}) as Record<string, Record<string, string>>) };
  if (extra) sigs[userId] = { ...(sigs[userId] ?? {}), ...extra };
  return sigs;
}
