import { invalidParam, type DeviceId, type UserId } from "@axon/protocol";
import { noPresenceHooks, type PresenceHooks } from "../presence/presence-hooks";
import type { Notifier } from "./notifier";
import type { StreamProvider, SyncRequest, SyncResponse } from "./stream-provider";
import { completeRooms, emptySyncResponse } from "./sync-response";

export type SetPresence = "online" | "unavailable" | "offline";

export interface SyncOptions {
  since: string | null;
  timeoutMs: number;
  setPresence: SetPresence;
  /** Aborted when the client goes away: ends the long-poll early. */
  signal?: AbortSignal;
}

/**
 * /sync: every provider fills its part for (since, now]; when nothing is new, waits on the notifier
 * and tries again. The token is "s" + every provider's position joined by "_", in provider order.
 */
export class SyncService {
  constructor(
    private readonly providers: StreamProvider[],
    private readonly notifier: Notifier,
    private readonly hooks: PresenceHooks = noPresenceHooks,
  ) {}

  /** Parses a token; missing trailing parts (a provider added since) count as 0. */
  parseToken(token: string): number[] {
    const m = /^s(\d{1,16}(?:_\d{1,16})*)$/.exec(token);
    if (!m) throw invalidParam("Invalid 'since' token.");
    const parts = m[1]!.split("_").map(Number);
    if (parts.length > this.providers.length) throw invalidParam("Invalid 'since' token.");
    const out = this.providers.map((p, i) => {
      const v = parts[i] ?? 0;
      if (!Number.isSafeInteger(v) || v > p.latest()) throw invalidParam("The 'since' token is from the future.");
      return v;
    });
    return out;
  }

  currentToken(): string {
    return `s${this.providers.map((p) => p.latest()).join("_")}`;
  }

  async sync(req: SyncRequest, opts: SyncOptions): Promise<SyncResponse> {
    const from = opts.since === null ? null : this.parseToken(opts.since);
    const { userId, deviceId } = req;
    this.hooks.syncStarted(userId, deviceId, opts.setPresence);
    try {
      return await this.loop(req, from, opts);
    } finally {
      this.hooks.syncEnded(userId as UserId, deviceId as DeviceId);
    }
  }

  private async loop(req: SyncRequest, from: number[] | null, opts: SyncOptions): Promise<SyncResponse> {
    // Real time, not the injected clock: the notifier waits on real timers and a client waits in real time.
    const deadline = Date.now() + Math.max(0, opts.timeoutMs);
    for (;;) {
      const epoch = this.notifier.epoch(req.userId);
      const to = this.providers.map((p) => p.latest());
      const res = emptySyncResponse();
      let any = false;
      for (const [i, p] of this.providers.entries()) {
        const filled = await p.fill(req, from === null ? null : from[i]!, to[i]!, res);
        any = filled || any;
      }
      const remaining = deadline - Date.now();
      if (any || from === null || req.fullState || remaining <= 0 || opts.signal?.aborted) {
        completeRooms(res);
        // Never move a position backwards (a provider may have been behind the client).
        res.next_batch = `s${to.map((v, i) => Math.max(v, from?.[i] ?? 0)).join("_")}`;
        return res;
      }
      await this.notifier.wait(req.userId, epoch, remaining, opts.signal);
    }
  }
}
