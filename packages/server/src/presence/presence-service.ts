import { forbidden, type DeviceId, type PresenceState, type UserId } from "@axon/protocol";
import type { Logger } from "pino";
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { MembershipChange, MembershipIndex } from "../rooms/membership-index";
import type { Notifier } from "../sync/notifier";
import { CallTracker } from "./call-tracker";
import {
  applyActivity,
  applyCallJoined,
  applyCallLeft,
  applyDeviceRemoved,
  applyPut,
  applySyncEnd,
  applySyncStart,
  applyTimers,
  earliestCandidate,
  effectiveState,
  emptyUser,
  nextDeadline,
  restoreUser,
  syncInPlace,
  type DeviceState,
  type PresenceTimers,
  type UserPresence,
} from "./presence";
import { PresenceFeed, type PresenceSnapshot } from "./presence-feed";
import type { PersistedEvent, PresenceHooks } from "./presence-hooks";
import type { PresenceStore, StoredPresence } from "./presence-store";
import { PresenceWriter } from "./presence-writer";

/** Rows from syncs and timers are written about this often. */
const LAZY_WRITE_DELAY_MS = 1000;
/**
 * PUT commits start at most this often: a PUT waits up to this long for its commit, and at 100
 * PUTs a second about three share one (each SQLite commit holds the event loop for its fsync).
 */
const MIN_COMMIT_INTERVAL_MS = 25;

/** What GET /presence and /sync present for one user. */
export interface PresenceView {
  userId: UserId;
  state: PresenceState;
  statusMsg: string | null;
  /** When the explicit choice ends (ms), when it has an end. */
  expiresAt: number | null;
  lastActiveAt: number | null;
  currentlyActive: boolean;
}

export interface PresenceServiceDeps {
  config: Config["presence"];
  clock: Clock;
  store: PresenceStore;
  membership: MembershipIndex;
  notifier: Notifier;
  log: Logger;
}

/**
 * Presence: applies the pure rules (presence.ts) to what users and devices do, keeps one timer
 * per user at most (only while a timer could change something), persists through the group
 * commit writer, and publishes changes to the feed and the notifier.
 */
export class PresenceService implements PresenceHooks {
  protected readonly users = new Map<UserId, UserPresence>();
  /** Last published (state, status) per user; a change publishes only when these differ. */
  protected readonly published = new Map<UserId, PresenceSnapshot>();
  /** lastActiveAt as last persisted: activity alone is written only when it moved by a granularity. */
  private readonly persistedActive = new Map<UserId, number | null>();
  private readonly timers = new Map<UserId, { at: number; cancel: () => void }>();
  // Real time, not the injected clock: the seed only has to exceed positions issued before a restart.
  readonly feed = new PresenceFeed(Date.now());
  private readonly writer: PresenceWriter;
  private readonly calls: CallTracker | null;
  private readonly timing: PresenceTimers;
  private readonly callListeners: ((userId: UserId, inCall: boolean) => void)[] = [];

  constructor(protected readonly deps: PresenceServiceDeps) {
    const c = deps.config;
    this.timing = {
      syncTimeout: c.sync_timeout,
      idleTimeout: c.idle_timeout,
      busyTimeout: c.busy_timeout,
      lastActiveGranularity: c.last_active_granularity,
    };
    this.writer = new PresenceWriter(deps.store, (err) => deps.log.error({ err }, "presence write failed"), LAZY_WRITE_DELAY_MS, MIN_COMMIT_INTERVAL_MS);
    this.calls =
      c.enabled && c.busy_presence && c.busy_during_calls
        ? new CallTracker(
            deps.clock,
            (u) => this.change(u, (p, now) => applyCallJoined(p, now)),
            (u) => this.change(u, (p, now) => applyCallLeft(p, now)),
          )
        : null;
  }

  get enabled(): boolean {
    return this.deps.config.enabled;
  }

  /**
   * Told when a user enters their first call (true) and when they are in none any more (false: the
   * last call ended, or the busy lease forgot calls whose end was never seen).
   */
  onCallsChanged(listener: (userId: UserId, inCall: boolean) => void): void {
    this.callListeners.push(listener);
  }

  /**
   * Restores stored presence (restored users have no live device, so they time out normally) and
   * starts following joins. Call it after the membership index is loaded, so that loading rooms
   * at start-up is not mistaken for people starting to share rooms.
   */
  async start(): Promise<void> {
    if (!this.enabled) return;
    this.deps.membership.onChange((ch) => this.membershipChanged(ch));
    this.restore(await this.deps.store.loadAll());
  }

  /** Takes stored rows as the current presence, with their timers (start-up; a cluster process taking over as owner). */
  protected restore(rows: StoredPresence[]): void {
    const now = this.deps.clock.now();
    for (const row of rows) {
      // An end that passed while the server was down applies now, before anyone sees the old state.
      const u = applyTimers(restoreUser(row, now), now, this.timing);
      this.users.set(row.userId, u);
      this.persistedActive.set(row.userId, row.lastActiveAt);
      const state = effectiveState(u, now, this.timing);
      this.published.set(row.userId, { userId: row.userId, state, statusMsg: u.statusMsg, expiresAt: u.expiresAt ?? null });
      if (u.statusMsg !== row.statusMsg || (u.expiresAt ?? null) !== (row.expiresAt ?? null)) this.writer.lazy(row.userId, () => this.row(row.userId));
      this.schedule(row.userId, u);
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    await this.writer.close();
  }

  /** Commits every row pending now and waits for it (a cluster follower's catch-up reads the table after this). */
  flushWrites(): Promise<void> {
    return this.writer.barrier();
  }

  // --- explicit -------------------------------------------------------------------------

  /** PUT /presence: answered only after the new state is committed. `expiresAt`: when this choice ends, if it does. */
  async setPresence(userId: UserId, deviceId: DeviceId, state: PresenceState, statusMsg: string | null, expiresAt: number | null = null): Promise<void> {
    if (!this.enabled) return;
    this.change(userId, (u, now) => applyPut(u, deviceId, state, statusMsg, now, expiresAt), "caller");
    await this.writer.durable(userId, () => this.row(userId));
  }

  /** The presence `viewer` may see of `target`; 403 when they share no room (or the target does not exist). */
  view(viewer: UserId, target: UserId): PresenceView {
    if (viewer !== target && !this.deps.membership.sharesRoom(viewer, target)) {
      throw forbidden("You are not allowed to see this user's presence.");
    }
    return this.current(target);
  }

  /** Current presence of a user, computed now. */
  current(userId: UserId): PresenceView {
    const now = this.deps.clock.now();
    const u = this.users.get(userId);
    if (!u || !this.enabled) return { userId, state: "offline", statusMsg: null, expiresAt: null, lastActiveAt: null, currentlyActive: false };
    const pub = this.published.get(userId);
    if (pub) return this.viewOf(pub, now);
    return this.viewOf({ userId, state: effectiveState(u, now, this.timing), statusMsg: u.statusMsg, expiresAt: u.expiresAt ?? null }, now);
  }

  /** A published state and status, with last-active figures as they are now. */
  private viewOf({ userId, state, statusMsg, expiresAt }: PresenceSnapshot, now: number): PresenceView {
    const lastActiveAt = this.users.get(userId)?.lastActiveAt ?? null;
    return {
      userId,
      state,
      statusMsg,
      expiresAt,
      lastActiveAt,
      currentlyActive: state === "online" && lastActiveAt !== null && now - lastActiveAt < this.timing.lastActiveGranularity,
    };
  }

  // --- implicit (PresenceHooks) ---------------------------------------------------------

  syncStarted(userId: UserId, deviceId: DeviceId, setPresence: DeviceState): void {
    // A set_presence=offline sync does not touch presence at all, so its end must not either.
    if (!this.enabled || setPresence === "offline") return;
    if (setPresence === "online" && this.syncInPlace(userId, deviceId, true)) return;
    this.change(userId, (u, now) => applySyncStart(u, deviceId, setPresence, now));
  }

  /** `at`: when the sync really ended, if earlier than now (a cluster process reports its ends late, debounced). */
  syncEnded(userId: UserId, deviceId: DeviceId, setPresence: DeviceState, at?: number): void {
    // A device removed meanwhile has no sync in flight left to end: applySyncEnd ignores it.
    if (!this.enabled || setPresence === "offline") return;
    if (at === undefined && setPresence === "online" && this.syncInPlace(userId, deviceId, false)) return;
    this.change(userId, (u, now) => applySyncEnd(u, deviceId, at === undefined ? now : Math.min(at, now)));
  }

  activity(userId: UserId, deviceId: DeviceId): void {
    if (this.enabled) this.change(userId, (u, now) => applyActivity(u, deviceId, now));
  }

  eventPersisted(event: PersistedEvent): void {
    this.calls?.eventPersisted(event);
  }

  deviceRemoved(userId: UserId, deviceId: DeviceId): void {
    if (this.enabled && this.users.has(userId)) this.change(userId, (u) => applyDeviceRemoved(u, deviceId));
  }

  // --- sync stream ----------------------------------------------------------------------

  /** How many users are in each state, as last published (for metrics; walks every user, so only at scrape time). */
  usersByState(): Record<PresenceState, number> {
    const counts: Record<PresenceState, number> = { online: 0, unavailable: 0, busy: 0, offline: 0 };
    for (const snap of this.published.values()) counts[snap.state]++;
    return counts;
  }

  /** Presence for an initial sync: self plus every visible user who is not offline. */
  initialFor(userId: UserId): PresenceView[] {
    const out: PresenceView[] = [];
    for (const other of this.deps.membership.audience(userId)) {
      const v = this.current(other);
      if (other === userId || v.state !== "offline") out.push(v);
    }
    return out;
  }

  /** Changes visible to `userId` in (from, to], the latest per user. */
  changesFor(userId: UserId, from: number, to: number): PresenceView[] {
    const snaps = this.feed.read(userId, from, to);
    if (snaps === null) {
      // The inbox no longer reaches back that far: send everyone visible, as they are now.
      return [...this.deps.membership.audience(userId)].filter((u) => this.users.has(u)).map((u) => this.current(u));
    }
    const now = this.deps.clock.now();
    return snaps.map((s) => this.viewOf(s, now));
  }

  // --- internals ------------------------------------------------------------------------

  /**
   * Applies a transition, publishes what changed, and reschedules. `persist: "lazy"` queues a
   * write when a stored field changed (activity alone only once per granularity); "caller" leaves
   * the write to the caller, which awaits a durable one.
   */
  private change(userId: UserId, fn: (u: UserPresence, now: number) => UserPresence, persist: "lazy" | "caller" = "lazy"): void {
    const now = this.deps.clock.now();
    // Timers due by now apply first, so an event never lands on a state that should have lapsed.
    const stored = this.users.get(userId) ?? emptyUser();
    const before = applyTimers(stored, now, this.timing);
    const after = fn(before, now);
    this.users.set(userId, after);
    // From what was stored: the busy lease may have forgotten the calls in applyTimers just above.
    if (stored.activeCalls > 0 !== after.activeCalls > 0) for (const l of this.callListeners) l(userId, after.activeCalls > 0);
    const published = this.publish(userId, after, now);
    if (persist === "lazy" && (published || this.storedFieldsChanged(userId, before, after))) {
      this.writer.lazy(userId, () => this.row(userId));
    }
    this.schedule(userId, after);
  }

  /**
   * `change` for the commonest event, a sync of an online device starting or ending (twice per
   * /sync): done in place when the rules allow (see syncInPlace), so nothing is copied and, the
   * state being unchanged, nothing is published. False when it does not apply.
   */
  private syncInPlace(userId: UserId, deviceId: DeviceId, starting: boolean): boolean {
    const u = this.users.get(userId);
    if (u === undefined || !syncInPlace(u, deviceId, starting, this.deps.clock.now(), this.timing)) return false;
    if (starting && this.activeMoved(userId, u)) this.writer.lazy(userId, () => this.row(userId));
    this.schedule(userId, u);
    return true;
  }

  private storedFieldsChanged(userId: UserId, before: UserPresence, after: UserPresence): boolean {
    if (before.busyFromCall !== after.busyFromCall || before.statusMsg !== after.statusMsg || before.expiresAt !== after.expiresAt) return true;
    return this.activeMoved(userId, after);
  }

  /** lastActiveAt moved a granularity or more from what was persisted. */
  private activeMoved(userId: UserId, u: UserPresence): boolean {
    if (u.lastActiveAt === null) return false;
    const stored = this.persistedActive.get(userId) ?? null;
    return stored === null || u.lastActiveAt - stored >= this.timing.lastActiveGranularity;
  }

  /** Publishes to the feed and wakes the audience when state or status changed. */
  private publish(userId: UserId, u: UserPresence, now: number): boolean {
    const state = effectiveState(u, now, this.timing);
    const prev = this.published.get(userId);
    const expiresAt = u.expiresAt ?? null;
    if (prev && prev.state === state && prev.statusMsg === u.statusMsg && prev.expiresAt === expiresAt) return false;
    if (!prev && state === "offline" && u.statusMsg === null && u.lastActiveAt === null) return false;
    const snap: PresenceSnapshot = { userId, state, statusMsg: u.statusMsg, expiresAt };
    this.published.set(userId, snap);
    const audience = this.deps.membership.audience(userId);
    this.afterPublish(this.feed.publish(snap, audience), snap, null);
    this.deps.notifier.wakeUsers(audience);
    return true;
  }

  /**
   * Told of each change this service published to its feed, at its position: `watchers` is the
   * explicit list it went to, or null for the user's whole audience. Nothing here; a cluster owner
   * relays it to the other processes (cluster/presence-cluster.ts).
   */
  protected afterPublish(_pos: number, _snap: PresenceSnapshot, _watchers: readonly UserId[] | null): void {}

  /** One timer per user at most; an earlier deadline replaces a later timer, a later one waits for it to fire. */
  private schedule(userId: UserId, u: UserPresence): void {
    const existing = this.timers.get(userId);
    // Usually the timer already set comes first: then no state needs evaluating.
    const earliest = earliestCandidate(u, this.timing);
    if (earliest === null || (existing && existing.at <= earliest)) return;
    const at = nextDeadline(u, this.timing);
    if (at === null) return;
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const cancel = this.deps.clock.setTimer(Math.max(0, at - this.deps.clock.now()), () => {
      this.timers.delete(userId);
      this.change(userId, (p, now) => applyTimers(p, now, this.timing));
    });
    this.timers.set(userId, { at, cancel });
  }

  protected membershipChanged(ch: MembershipChange): void {
    if (!this.enabled || !ch.joined) return;
    const { membership } = this.deps;
    const newlyShared: UserId[] = [];
    for (const other of membership.joinedMembers(ch.roomId)) {
      if (other === ch.userId || sharedElsewhere(membership, ch.userId, other, ch.roomId)) continue;
      newlyShared.push(other);
    }
    if (newlyShared.length === 0) return;
    // Each side gets the other's current presence in its next incremental sync, once; someone
    // never active has nothing published and is sent as they are now: offline, no last_active_ago.
    const mine = this.published.get(ch.userId) ?? this.current(ch.userId);
    this.afterPublish(this.feed.publish(mine, newlyShared), mine, newlyShared);
    for (const other of newlyShared) {
      const theirs = this.published.get(other) ?? this.current(other);
      this.afterPublish(this.feed.publish(theirs, [ch.userId]), theirs, [ch.userId]);
    }
    this.deps.notifier.wakeUsers([ch.userId, ...newlyShared]);
  }

  private row(userId: UserId): StoredPresence {
    const u = this.users.get(userId) ?? emptyUser();
    const now = this.deps.clock.now();
    this.persistedActive.set(userId, u.lastActiveAt);
    return {
      userId,
      state: effectiveState(u, now, this.timing),
      statusMsg: u.statusMsg,
      lastActiveAt: u.lastActiveAt,
      busyFromCall: u.busy && u.busyFromCall,
      expiresAt: u.expiresAt ?? null,
      updatedAt: now,
    };
  }
}

/** True when a and b share a joined room other than `except`. */
function sharedElsewhere(m: MembershipIndex, a: UserId, b: UserId, except: string): boolean {
  const ra = m.roomsOf(a);
  const rb = m.roomsOf(b);
  const [small, big] = ra.size <= rb.size ? [ra, rb] : [rb, ra];
  for (const r of small) if (r !== except && big.has(r)) return true;
  return false;
}
