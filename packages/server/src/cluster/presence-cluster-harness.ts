// Test support for the cluster presence tests: processes on one LocalHub, one shared presence table
// in memory, one FakeClock; each process with its own membership index, notifier and ClusterPresence.
import type { DeviceId, RoomId, UserId } from "@axon/protocol";
import { FakeClock } from "../clock";
import { buildConfig, type Config } from "../config";
import { createLogger } from "../log";
import type { PresenceStore, StoredPresence } from "../presence/presence-store";
import { MembershipIndex } from "../rooms/membership-index";
import { Notifier } from "../sync/notifier";
import { LocalHub, type ClusterBus } from "./bus";
import { createClusterPresence, type ClusterPresence, type PresenceClusterOptions } from "./presence-cluster";
import { PRESENCE_IN, PRESENCE_OUT } from "./presence-messages";

export const A = "@a:t" as UserId;
export const B = "@b:t" as UserId;
export const C = "@c:t" as UserId;
export const PHONE = "PHONE" as DeviceId;
export const ROOM = "!r:t" as RoomId;

export const SYNC_TIMEOUT = 30_000;
export const IDLE_TIMEOUT = 300_000;
export const STOP_DELAY = 10_000;
export const HEARTBEAT = 5_000;

/** The presence table every process shares. */
export class MemoryPresenceStore implements PresenceStore {
  readonly rows = new Map<UserId, StoredPresence>();
  async loadAll(): Promise<StoredPresence[]> {
    return [...this.rows.values()].map((r) => ({ ...r }));
  }
  async saveMany(rows: StoredPresence[]): Promise<void> {
    for (const r of rows) this.rows.set(r.userId, { ...r });
  }
}

export interface Proc {
  name: string;
  bus: ClusterBus;
  presence: ClusterPresence;
  membership: MembershipIndex;
  notifier: Notifier;
}

/** Counts the messages of each type on a channel. */
export class Tally {
  readonly counts = new Map<string, number>();
  readonly messages: unknown[] = [];
  of(t: string): number {
    return this.counts.get(t) ?? 0;
  }
  add(m: unknown): void {
    this.messages.push(m);
    const t = typeof m === "object" && m !== null && "t" in m ? String(m.t) : "?";
    this.counts.set(t, this.of(t) + 1);
  }
}

export class ClusterKit {
  readonly clock = new FakeClock();
  readonly hub = new LocalHub();
  readonly store = new MemoryPresenceStore();
  readonly config: Config["presence"] = {
    ...buildConfig({}).presence,
    sync_timeout: SYNC_TIMEOUT,
    idle_timeout: IDLE_TIMEOUT,
    busy_timeout: 3_600_000,
    last_active_granularity: 60_000,
  };
  readonly procs: Proc[] = [];
  readonly inbound = new Tally();
  readonly outbound = new Tally();
  /** Drops the next message on "presence.out" whose type is this. */
  dropNextOut: string | null = null;

  constructor() {
    const spy = this.hub.bus("spy");
    spy.subscribe(PRESENCE_IN, (m) => this.inbound.add(m));
    spy.subscribe(PRESENCE_OUT, (m) => this.outbound.add(m));
    const send = this.hub.send.bind(this.hub);
    this.hub.send = (channel: string, payload: string): void => {
      if (channel === PRESENCE_OUT && this.dropNextOut !== null && payload.includes(`"t":"${this.dropNextOut}"`)) {
        this.dropNextOut = null;
        return;
      }
      send(channel, payload);
    };
  }

  /** A process with everyone in `members` joined to ROOM, started as a follower. */
  async process(name: string, members: UserId[] = [A, B, C], opts: Partial<PresenceClusterOptions> = {}): Promise<Proc> {
    const membership = new MembershipIndex();
    for (const u of members) membership.join(ROOM, u);
    const notifier = new Notifier(membership);
    const bus = this.hub.bus(name);
    const presence = createClusterPresence(
      { config: this.config, clock: this.clock, store: this.store, membership, notifier, log: createLogger("silent") },
      { bus, stopDelayMs: STOP_DELAY, heartbeatMs: HEARTBEAT, ...opts },
    );
    await presence.start();
    const p = { name, bus, presence, membership, notifier };
    this.procs.push(p);
    await settle();
    return p;
  }

  async owner(name: string, epoch = 1, members: UserId[] = [A, B, C]): Promise<Proc> {
    const p = await this.process(name, members);
    await p.presence.promote(epoch);
    await settle();
    return p;
  }

  /** Moves the clock, letting messages and loads run between steps of at most `step` ms. */
  async advance(ms: number, step = 1000): Promise<void> {
    for (let left = ms; left > 0; left -= step) {
      this.clock.advance(Math.min(step, left));
      await settle();
    }
  }

  async close(): Promise<void> {
    for (const p of this.procs) await p.presence.close();
  }
}

/** Lets bus messages (microtasks), store reads and writer commits run. */
export async function settle(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** One complete /sync of the device through `p` (start and end now). */
export function syncOnce(p: Proc, user: UserId, device: DeviceId = PHONE, sp: "online" | "unavailable" = "online"): void {
  p.presence.syncStarted(user, device, sp);
  p.presence.syncEnded(user, device, sp);
}
