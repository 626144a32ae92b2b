import { invalidParam, type DeviceId, type UserId } from "@axon/protocol";
import { noPresenceHooks, type PresenceHooks } from "../presence/presence-hooks";
import type { Hangup } from "./hangup";
import type { Notifier } from "./notifier";
import type { StreamProvider, SyncRequest, SyncResponse } from "./stream-provider";
import { completeRooms, emptySyncResponse } from "./sync-response";

export type SetPresence = "online" | "unavailable" | "offline";

export interface SyncOptions {
  since: string | null;
  timeoutMs: number;
  setPresence: SetPresence;
  /** Fires when the client goes away: ends the long-poll early. */
  hangup?: Hangup;
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
    /** Last touches on a response about to be sent (e.g. unread counts on its joined rooms). */
    private readonly finish?: (userId: UserId, res: SyncResponse) => void,
    /**
     * Cluster: a token may come from a process that has seen more of a stream than this one. It is
     * accepted (nothing is new until this process catches up), and `onAhead` hurries the catching up.
     */
    private readonly cluster?: { onAhead(): void },
  ) {}

  /** Parses a token; missing trailing parts (a provider added since) count as 0. */
  parseToken(token: string): number[] {
    const parts = parseTokenParts(token);
    if (parts === null || parts.length > this.providers.length) throw invalidParam("Invalid 'since' token.");
    const out = new Array<number>(this.providers.length);
    for (let i = 0; i < out.length; i++) {
      const v = parts[i] ?? 0;
      const p = this.providers[i]!;
      if (v > p.latest() && !p.acceptsAhead) {
        if (!this.cluster) throw invalidParam("The 'since' token is from the future.");
        this.cluster.onAhead();
      }
      out[i] = v;
    }
    return out;
  }

  /** One stream's position in a token (by provider key), e.g. for GET /keys/changes; 400 when malformed. */
  streamPosition(token: string, key: string): number {
    const i = this.providers.findIndex((p) => p.key === key);
    if (i < 0) throw new Error(`no stream ${key}`);
    return this.parseToken(token)[i]!;
  }

  /** Whether this process's streams have reached a token's positions (streams named in `skip` aside); a malformed token has been reached. */
  hasReached(token: string, skip: ReadonlySet<string>): boolean {
    const parts = parseTokenParts(token);
    if (parts === null) return true;
    for (let i = 0; i < this.providers.length && i < parts.length; i++) {
      const p = this.providers[i]!;
      if (!skip.has(p.key) && parts[i]! > p.latest()) return false;
    }
    return true;
  }

  currentToken(): string {
    return tokenOf(this.providers.map((p) => p.latest()));
  }

  async sync(req: SyncRequest, opts: SyncOptions): Promise<SyncResponse> {
    const from = opts.since === null ? null : this.parseToken(opts.since);
    const { userId, deviceId } = req;
    this.hooks.syncStarted(userId, deviceId, opts.setPresence);
    try {
      return await this.loop(req, from, opts);
    } finally {
      this.hooks.syncEnded(userId as UserId, deviceId as DeviceId, opts.setPresence);
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
      for (let i = 0; i < this.providers.length; i++) {
        const filled = this.providers[i]!.fill(req, from === null ? null : from[i]!, to[i]!, res);
        if (typeof filled === "boolean" ? filled : await filled) any = true;
      }
      const remaining = deadline - Date.now();
      if (any || from === null || req.fullState || remaining <= 0 || opts.hangup?.happened) {
        this.finish?.(req.userId, res);
        completeRooms(res);
        // Never move a position backwards (a provider may have been behind the client).
        if (from !== null) for (let i = 0; i < to.length; i++) to[i] = Math.max(to[i]!, from[i]!);
        res.next_batch = tokenOf(to);
        return res;
      }
      await this.notifier.wait(req.userId, epoch, remaining, opts.hangup);
    }
  }
}

function tokenOf(positions: number[]): string {
  return `s${positions.join("_")}`;
}

const MAX_DIGITS = 16;

/** "s" then 1+ runs of 1–16 digits joined by "_"; null when malformed. Hand-rolled: it runs on every /sync. */
function parseTokenParts(token: string): number[] | null {
  if (token.charCodeAt(0) !== 115 /* s */) return null;
  const out: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 1; i <= token.length; i++) {
    const c = i < token.length ? token.charCodeAt(i) : 95; /* end of string acts as "_" */
    if (c === 95 /* _ */) {
      if (digits === 0) return null;
      out.push(value);
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < MAX_DIGITS) {
      value = value * 10 + (c - 48);
      digits++;
    } else {
      return null;
    }
  }
  return out;
}
