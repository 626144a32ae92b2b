// Presence in a cluster (issue 14): several identical processes on one PostgreSQL, one of them the
// owner (elected: owner-election.ts). The owner is presence's single writer: state, timers, the
// call tracker and the presence table, exactly as a lone process. Every process answers /sync from
// its own copy of the owner's presence stream. The pieces:
//
//   SyncRelay (presence-relay.ts, every process)  --"presence.in": edges-->  OwnerSyncs (owner)
//   owner's PresenceService --"presence.out": each change at its position-->  PresenceReplica (followers)
//
// ClusterPresence is a PresenceService (everything that takes one takes it) that starts as a
// follower and becomes the owner with promote(epoch); it never steps down (a process that loses
// ownership exits). As a follower it writes nothing: PUTs and other writes are forwarded to the
// owner (cluster/forward.ts), so setPresence, deviceRemoved and eventPersisted do nothing here; the
// owner's own account-change watcher applies operator changes there.
//
// Wiring in main.ts (cluster mode), instead of `new PresenceService(...)`:
//
//   const presence = createClusterPresence({ config: config.presence, clock, store, membership, notifier, log: logger }, { bus });
//   ...                                   // rooms loaded, as today
//   await presence.start();               // follower: reads the presence table, asks the owner to resync
//   const provider = new PresenceStreamProvider(presence, clock, { cluster: true });  // tokens from other processes
//   election.onChange((isOwner) => { if (isOwner) void presence.promote(election.epoch!); else process.exit(...) });
//   ...
//   await presence.close();               // says "bye" so the owner ends this process's devices at once
//
// The SyncService takes `presence` as its hooks, as today. Times: stopDelayMs (10 s) must stay below
// presence.sync_timeout; the owner declares a process dead after deadAfterMs (15 s) without any
// message from it (a heartbeat every heartbeatMs, 5 s).
//
// Known approximations: last_active on a follower is what the owner last published or wrote (it
// moves on every sync on the owner, but is only written once per last_active_granularity), so
// last_active_ago and currently_active read on a follower can lag by up to that much. A follower's
// clock gives the `at` of its stops: clock skew between hosts shifts when its devices time out.
import type { DeviceId, PresenceState, UserId } from "@axon/protocol";
import type { MembershipChange } from "../rooms/membership-index";
import { PresenceService, type PresenceServiceDeps } from "../presence/presence-service";
import type { PresenceSnapshot } from "../presence/presence-feed";
import type { PersistedEvent } from "../presence/presence-hooks";
import type { PresenceStore, StoredPresence } from "../presence/presence-store";
import { emptyUser, type DeviceState } from "../presence/presence-user";
import type { ClusterBus } from "./bus";
import { parseIn, parseOut, PRESENCE_IN, PRESENCE_OUT, wireSnapshot, type InMessage, type OutMessage } from "./presence-messages";
import { PresenceReplica } from "./presence-replica";
import { every, OwnerSyncs, SyncRelay } from "./presence-relay";

export interface PresenceClusterOptions {
  bus: ClusterBus;
  /** A device stopped syncing here is reported after this long without a new sync (ms; default 10 s; below sync_timeout). */
  stopDelayMs?: number;
  /** Heartbeats (each process to the owner, the owner's head to everyone) and the owner's sweep (ms; default 5 s). */
  heartbeatMs?: number;
  /** The owner ends the devices of a process silent this long (ms; default 3 heartbeats). */
  deadAfterMs?: number;
  /**
   * Activity of a device is relayed at most once per this (ms). Default: half of
   * last_active_granularity, so a device that keeps syncing stays currently_active without a gap.
   */
  activityEveryMs?: number;
  /** An unanswered resync is asked again after this (ms; default: heartbeatMs). */
  resyncRetryMs?: number;
}

/** Users per `active` message. */
const ACTIVE_CHUNK = 500;

/** The presence table, telling the owner what was just written (last_active moves without a change). */
class WatchedStore implements PresenceStore {
  onSaved: (rows: StoredPresence[]) => void = () => {};
  constructor(private readonly inner: PresenceStore) {}
  loadAll(): Promise<StoredPresence[]> {
    return this.inner.loadAll();
  }
  async saveMany(rows: StoredPresence[]): Promise<void> {
    await this.inner.saveMany(rows);
    this.onSaved(rows);
  }
}

export function createClusterPresence(deps: PresenceServiceDeps, opts: PresenceClusterOptions): ClusterPresence {
  return new ClusterPresence(deps, opts);
}

export class ClusterPresence extends PresenceService {
  private owner = false;
  private epoch = 0;
  /** The last position sent on "presence.out" (the next chain message's prevP). */
  private lastSent = 0;
  private readonly bus: ClusterBus;
  private readonly heartbeatMs: number;
  private readonly relay: SyncRelay;
  private readonly replica: PresenceReplica;
  private readonly syncs: OwnerSyncs;
  private stopOwnerTimer: (() => void) | null = null;
  private closed = false;
  private promotion: Promise<void> | null = null;

  constructor(deps: PresenceServiceDeps, opts: PresenceClusterOptions) {
    const store = new WatchedStore(deps.store);
    super({ ...deps, store });
    const { bus } = opts;
    const { clock } = deps;
    this.bus = bus;
    this.heartbeatMs = opts.heartbeatMs ?? 5000;
    const pid = bus.processId;
    // Positions are the owner's: nothing is handed out until the first resync gives one.
    this.feed.resetAt(0);
    store.onSaved = (rows) => this.rowsWritten(rows);
    this.relay = new SyncRelay(
      {
        clock,
        pid,
        stopDelayMs: opts.stopDelayMs ?? 10_000,
        activityEveryMs: opts.activityEveryMs ?? deps.config.last_active_granularity / 2,
        heartbeatMs: this.heartbeatMs,
      },
      (m) => bus.publish(PRESENCE_IN, m),
    );
    this.syncs = new OwnerSyncs(
      { clock, selfPid: pid, deadAfterMs: opts.deadAfterMs ?? 3 * this.heartbeatMs, auditEveryMs: this.heartbeatMs, audit: (p) => this.out({ t: "audit", epoch: this.epoch, pid: p }) },
      {
        syncStarted: (u, d, sp) => super.syncStarted(u, d, sp),
        syncEnded: (u, d, sp, at) => super.syncEnded(u, d, sp, at),
        activity: (u, d) => super.activity(u, d),
      },
    );
    this.replica = new PresenceReplica({
      target: { feed: this.feed, set: (s, a) => this.setReplicated(s, a), touch: (u, a) => this.touchReplicated(u, a) },
      store,
      membership: deps.membership,
      notifier: deps.notifier,
      clock,
      log: deps.log,
      pid,
      requestResync: () => bus.publish(PRESENCE_IN, { t: "resync", pid } satisfies InMessage),
      sendState: () => this.relay.sendState(),
      retryMs: opts.resyncRetryMs ?? this.heartbeatMs,
    });
    bus.subscribe(PRESENCE_IN, (raw) => this.fromProcess(raw));
    bus.subscribe(PRESENCE_OUT, (raw) => this.fromOwner(raw));
    bus.onReconnect(() => this.reconnected());
  }

  get isOwner(): boolean {
    return this.owner;
  }

  /** The owner's epoch this process follows or has (0: none yet). */
  get ownerEpoch(): number {
    return this.owner ? this.epoch : this.replica.epochSeen;
  }

  /** Follower start-up: the presence table as a first copy, then a resync with the owner. */
  override async start(): Promise<void> {
    if (!this.enabled || this.owner) return;
    this.replica.load(await this.deps.store.loadAll());
    this.relay.start();
    this.replica.start();
  }

  /**
   * Becomes the owner (this process won the election; `epoch` from it, above every earlier owner's):
   * restores presence from the table with its timers, as a lone process does at start-up, and
   * continues the stream above every position handed out so far, so every older token gets a full
   * snapshot once (as after a restart).
   */
  promote(epoch: number): Promise<void> {
    this.promotion ??= this.becomeOwner(epoch);
    return this.promotion;
  }

  private async becomeOwner(epoch: number): Promise<void> {
    const rows = this.enabled ? await this.deps.store.loadAll() : [];
    // From here on synchronous: no /sync sees a half-built state.
    this.owner = true;
    this.epoch = epoch;
    this.replica.stop();
    const before = new Map(this.published);
    this.users.clear();
    this.published.clear();
    const start = Math.max(Date.now(), this.replica.maxSeen + 1);
    this.feed.resetAt(start);
    this.lastSent = start;
    if (this.enabled) {
      this.deps.membership.onChange((ch: MembershipChange) => this.membershipChanged(ch));
      this.restore(rows);
    }
    this.out({ t: "epoch", epoch, p: start });
    // Our own syncs now reach the presence service in process; what was live here counts again.
    this.relay.setSink((m) => this.syncs.handle(m));
    this.relay.start();
    this.relay.sendState();
    this.stopOwnerTimer = every(this.deps.clock, this.heartbeatMs, () => {
      this.syncs.sweep();
      this.out({ t: "head", epoch: this.epoch, p: this.lastSent });
    });
    this.wakeChanged(before);
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopOwnerTimer?.();
    this.replica.stop();
    this.relay.close(!this.owner);
    await super.close();
  }

  // --- hooks: syncs always go through the relay (edges only); writes only on the owner -------

  override syncStarted(userId: UserId, deviceId: DeviceId, setPresence: DeviceState): void {
    if (this.enabled) this.relay.syncStarted(userId, deviceId, setPresence);
  }

  override syncEnded(userId: UserId, deviceId: DeviceId, setPresence: DeviceState): void {
    if (this.enabled) this.relay.syncEnded(userId, deviceId, setPresence);
  }

  override activity(userId: UserId, deviceId: DeviceId): void {
    if (this.owner) super.activity(userId, deviceId);
    else if (this.enabled) this.relay.activity(userId, deviceId);
  }

  override eventPersisted(event: PersistedEvent): void {
    if (this.owner) super.eventPersisted(event);
  }

  override deviceRemoved(userId: UserId, deviceId: DeviceId): void {
    if (!this.owner) return;
    this.syncs.forget(userId, deviceId);
    super.deviceRemoved(userId, deviceId);
  }

  override async setPresence(userId: UserId, deviceId: DeviceId, state: PresenceState, statusMsg: string | null, expiresAt: number | null = null): Promise<void> {
    if (this.owner) return super.setPresence(userId, deviceId, state, statusMsg, expiresAt);
    this.deps.log.debug({ userId }, "presence: a write on a follower is the owner's; ignored here");
  }

  /** Devices this process reports live to the owner (tests, metrics). */
  relayedDevices(): number {
    return this.relay.liveDevices();
  }

  // --- owner: the stream out ------------------------------------------------------------------

  protected override afterPublish(pos: number, snap: PresenceSnapshot, watchers: readonly UserId[] | null): void {
    if (!this.owner) return;
    const lastActiveAt = this.users.get(snap.userId)?.lastActiveAt ?? null;
    const m: OutMessage = { t: "change", epoch: this.epoch, p: pos, prevP: this.lastSent, snap: wireSnapshot(snap), lastActiveAt };
    if (watchers !== null) m.watchers = [...watchers];
    this.lastSent = pos;
    this.out(m);
  }

  private out(m: OutMessage): void {
    this.bus.publish(PRESENCE_OUT, m);
  }

  /** A follower's copy has a gap: a fresh empty position on the chain, every row committed, then `flushed`. */
  private async resync(pid: string): Promise<void> {
    const at = this.feed.latest() + 1;
    this.feed.skipTo(at);
    this.out({ t: "mark", epoch: this.epoch, p: at, prevP: this.lastSent });
    this.lastSent = at;
    try {
      await this.flushWrites();
    } catch (err) {
      this.deps.log.error({ err, pid }, "presence: flushing for a follower's resync failed; it will ask again");
      return;
    }
    this.out({ t: "flushed", epoch: this.epoch, p: at, pid });
  }

  private rowsWritten(rows: StoredPresence[]): void {
    if (!this.owner) return;
    const users: [UserId, number][] = [];
    for (const r of rows) if (r.lastActiveAt !== null) users.push([r.userId, r.lastActiveAt]);
    for (let i = 0; i < users.length; i += ACTIVE_CHUNK) this.out({ t: "active", epoch: this.epoch, users: users.slice(i, i + ACTIVE_CHUNK) });
  }

  private fromProcess(raw: unknown): void {
    if (!this.owner || this.closed) return;
    const m = parseIn(raw);
    if (m === null) {
      this.deps.log.warn({ channel: PRESENCE_IN }, "presence: malformed cluster message dropped");
      return;
    }
    // Our own relay delivers in process; what it sent on the bus before we took over is stale.
    if (m.pid === this.bus.processId) return;
    if (m.t === "resync") void this.resync(m.pid);
    else this.syncs.handle(m);
  }

  private fromOwner(raw: unknown): void {
    if (this.owner || this.closed) return;
    const m = parseOut(raw);
    if (m === null) {
      this.deps.log.warn({ channel: PRESENCE_OUT }, "presence: malformed cluster message dropped");
      return;
    }
    this.replica.handle(m);
  }

  /** After a bus outage either side may have missed messages. */
  private reconnected(): void {
    if (this.closed) return;
    if (this.owner) {
      this.out({ t: "audit", epoch: this.epoch, pid: null });
      this.out({ t: "head", epoch: this.epoch, p: this.lastSent });
    } else {
      this.replica.lose("bus reconnected");
      this.relay.sendState();
    }
  }

  // --- follower: the replica's writes into this service's state -------------------------------

  private setReplicated(snap: PresenceSnapshot, lastActiveAt: number | null): boolean {
    const u = this.users.get(snap.userId);
    if (u === undefined) this.users.set(snap.userId, { ...emptyUser(), lastActiveAt });
    else if (lastActiveAt !== null && (u.lastActiveAt === null || u.lastActiveAt < lastActiveAt)) u.lastActiveAt = lastActiveAt;
    const prev = this.published.get(snap.userId);
    this.published.set(snap.userId, snap);
    return prev === undefined || !sameSnapshot(prev, snap);
  }

  private touchReplicated(userId: UserId, lastActiveAt: number): void {
    const u = this.users.get(userId);
    if (u !== undefined && (u.lastActiveAt === null || u.lastActiveAt < lastActiveAt)) u.lastActiveAt = lastActiveAt;
  }

  /** Wakes whoever can see a user whose published presence differs from `before`. */
  private wakeChanged(before: Map<UserId, PresenceSnapshot>): void {
    const wake = new Set<UserId>();
    const differs = (u: UserId): void => {
      const a = before.get(u);
      const b = this.published.get(u);
      if (a === b || (a !== undefined && b !== undefined && sameSnapshot(a, b))) return;
      for (const w of this.deps.membership.audience(u)) wake.add(w);
    };
    for (const u of before.keys()) differs(u);
    for (const u of this.published.keys()) if (!before.has(u)) differs(u);
    this.deps.notifier.wakeUsers(wake);
  }
}

function sameSnapshot(a: PresenceSnapshot, b: PresenceSnapshot): boolean {
  return a.state === b.state && a.statusMsg === b.statusMsg && a.expiresAt === b.expiresAt;
}
