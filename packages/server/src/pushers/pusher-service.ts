import { invalidParam, type DeviceId, type UserId } from "@axon/protocol";
import type { Logger } from "pino";
import type { Clock } from "../clock";
import { gatewayUrlProblem } from "./gateway-address";
import type { PusherKey, PusherRecord, PusherStore } from "./pusher-store";

/** What POST /pushers/set asks for a pusher (kind not null), already checked for shape. */
export interface PusherRequest {
  appId: string;
  pushkey: string;
  appDisplayName: string;
  deviceDisplayName: string;
  profileTag: string | null;
  lang: string;
  data: Record<string, unknown>;
}

const sameKey = (p: PusherRecord, k: PusherKey) => p.userId === k.userId && p.appId === k.appId && p.pushkey === k.pushkey;

/**
 * Each user's pushers, in the database and in memory: delivery reads them for every notification
 * without a query. Every change goes through here, database first, then memory.
 */
export class PusherService {
  private readonly byUser = new Map<UserId, PusherRecord[]>();

  constructor(
    private readonly d: {
      store: PusherStore;
      clock: Clock;
      /** `push.allow_private_gateways`. */
      allowPrivateGateways: boolean;
      log: Pick<Logger, "info">;
    },
  ) {}

  async start(): Promise<void> {
    for (const p of await this.d.store.all()) this.remember(p);
  }

  /** The user's pushers (the in-memory copy: do not change it). */
  of(userId: UserId): readonly PusherRecord[] {
    return this.byUser.get(userId) ?? [];
  }

  /** The live pusher with this key, or undefined when it was deleted meanwhile. */
  find(key: PusherKey): PusherRecord | undefined {
    return this.of(key.userId).find((p) => sameKey(p, key));
  }

  /** GET /pushers: the spec's form. */
  list(userId: UserId): Record<string, unknown>[] {
    return this.of(userId).map((p) => ({
      pushkey: p.pushkey,
      kind: p.kind,
      app_id: p.appId,
      app_display_name: p.appDisplayName,
      device_display_name: p.deviceDisplayName,
      ...(p.profileTag !== null && { profile_tag: p.profileTag }),
      lang: p.lang,
      data: p.data,
    }));
  }

  /**
   * Creates or updates the user's pusher for (app_id, pushkey), owned by the requesting device.
   * Without `append`, other users' pushers with the same app_id and pushkey are removed (the spec).
   */
  async set(userId: UserId, deviceId: DeviceId, req: PusherRequest, append: boolean): Promise<void> {
    const url = req.data.url;
    if (typeof url !== "string") throw invalidParam("'data.url' is required for an http pusher.");
    const problem = gatewayUrlProblem(url, this.d.allowPrivateGateways);
    if (problem) throw invalidParam(problem);
    const pusher: PusherRecord = { userId, deviceId, kind: "http", ...req, ts: this.d.clock.now() };
    const removed = await this.d.store.set(pusher, !append);
    for (const k of removed) this.forget(k);
    this.remember(pusher);
    this.d.log.info({ userId, appId: req.appId, replacedOthers: removed.length }, "pusher set");
  }

  /** POST /pushers/set with kind null; deleting a pusher that does not exist is not an error. */
  async delete(key: PusherKey): Promise<void> {
    if (await this.d.store.delete(key)) this.d.log.info({ userId: key.userId, appId: key.appId }, "pusher deleted");
    this.forget(key);
  }

  /** Devices logged out or deleted: the pushers they set go too. */
  async devicesRemoved(userId: UserId, deviceIds: readonly DeviceId[]): Promise<void> {
    if (!this.byUser.has(userId)) return;
    for (const k of await this.d.store.deleteForDevices(userId, deviceIds)) this.forget(k);
  }

  private remember(p: PusherRecord): void {
    const list = (this.byUser.get(p.userId) ?? []).filter((q) => !sameKey(q, p));
    list.push(p);
    this.byUser.set(p.userId, list);
  }

  private forget(k: PusherKey): void {
    const list = this.byUser.get(k.userId);
    if (!list) return;
    const rest = list.filter((p) => !sameKey(p, k));
    if (rest.length > 0) this.byUser.set(k.userId, rest);
    else this.byUser.delete(k.userId);
  }
}
