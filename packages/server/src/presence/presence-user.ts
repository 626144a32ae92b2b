import type { PresenceState } from "@axon/protocol";

/**
 * The presence model: one user's state (UserPresence), what a restart restores, and how it reads at
 * a time: liveness, idle, the busy lease, the end of a choice, the effective state and the next
 * deadline. Pure: no I/O, no timers, no clock. The transitions are in presence.ts.
 */

/** All in ms. */
export interface PresenceTimers {
  syncTimeout: number;
  idleTimeout: number;
  busyTimeout: number;
  lastActiveGranularity: number;
}

export type DeviceState = "online" | "unavailable" | "offline";

export interface DevicePresence {
  /** Implicit (from sync) or explicit (PUT) state of this device. */
  state: DeviceState;
  /** How many /sync requests of this device are in flight now. */
  syncsInFlight: number;
  /**
   * When its last sync ended or started (ms); a device with no sync in flight and none for
   * syncTimeout is gone. A PUT from the device also counts as a sign of life (see applyPut).
   */
  lastSyncAt: number;
  /** Last activity of this device (ms), for idle. */
  lastActiveAt: number;
}

export interface UserPresence {
  /** By device id (a Map: ids come from clients, and copying one is cheap). */
  devices: Map<string, DevicePresence>;
  /** Set by an explicit busy PUT; cleared by an explicit PUT of another state, the busy lease, or the end of the call that started it. */
  busy: boolean;
  /** Busy came from a call (not chosen explicitly). */
  busyFromCall: boolean;
  /** Number of calls the user is in now (MatrixRTC memberships + 1:1 VoIP calls). */
  activeCalls: number;
  /**
   * What the user had explicitly chosen before a call made them busy, to restore when the last
   * call ends; null = derive from devices. Only "busy" is ever stored: explicit non-busy states
   * live on the devices (which keep being tracked under busy) and are not sticky anyway.
   */
  stateBeforeCall: PresenceState | null;
  /** Set when the user explicitly chose a state during a call: then the end of the call does not restore anything. */
  choseDuringCall: boolean;
  /**
   * A state not tied to any present device: a state restored after a restart (see restoreUser).
   * It stands in for the devices until one of them reports (any PUT, or a sync that sets
   * presence, clears it: a restored state never outranks what a device sets after the restart),
   * and lapses syncTimeout after explicitAt like a device that stopped syncing. null if none.
   */
  explicit: DeviceState | null;
  /**
   * When `explicit` was set (ms). Optional so that older callers keep compiling; when absent the
   * lease runs from lastActiveAt (so a stand-in can never get stuck).
   */
  explicitAt?: number | null;
  statusMsg: string | null;
  /**
   * When the last explicit choice ends (ms), or null when it has no end (`io.axon.expires_at`).
   * Then it ends as if cleared: the status message goes, and a busy chosen ends (what a call
   * implies stays). Optional so that older callers keep compiling.
   */
  expiresAt?: number | null;
  /** Last activity of the user (max over devices and PUTs), ms; null = never active. */
  lastActiveAt: number | null;
}

export const emptyUser = (): UserPresence => ({
  devices: new Map(),
  busy: false,
  busyFromCall: false,
  activeCalls: 0,
  stateBeforeCall: null,
  choseDuringCall: false,
  explicit: null,
  explicitAt: null,
  statusMsg: null,
  expiresAt: null,
  lastActiveAt: null,
});

/** What the service persists and reads back at start-up. */
export interface StoredPresence {
  state: PresenceState;
  statusMsg: string | null;
  lastActiveAt: number | null;
  /** The stored busy was made by a call (so a call end after the restart still clears it). */
  busyFromCall?: boolean;
  /** When the explicit choice ends, if it has an end. */
  expiresAt?: number | null;
}

/**
 * Rebuilds a user after a restart. No device is known yet: a non-busy state becomes the
 * `explicit` stand-in, which times out syncTimeout after the restart unless a device comes back
 * (clients reconnect within seconds, so nobody flickers offline). Busy stays busy and is ended by
 * the busy lease (from the restored lastActiveAt) like any busy with no live device.
 */
export function restoreUser(stored: StoredPresence, now: number): UserPresence {
  const u = emptyUser();
  u.statusMsg = stored.statusMsg;
  u.expiresAt = stored.expiresAt ?? null;
  u.lastActiveAt = stored.lastActiveAt;
  if (stored.state === "busy") {
    u.busy = true;
    u.busyFromCall = stored.busyFromCall ?? false;
  } else if (stored.state !== "offline") {
    u.explicit = stored.state;
    u.explicitAt = now;
  }
  return u;
}

const RANK: Record<DeviceState, number> = { offline: 0, unavailable: 1, online: 2 };
export const higher = (a: DeviceState, b: DeviceState): DeviceState => (RANK[b] > RANK[a] ? b : a);

/** Live: a sync in flight, or one ended less than syncTimeout ago (gone exactly at the deadline). */
export function isLive(d: DevicePresence, now: number, t: PresenceTimers): boolean {
  return d.syncsInFlight > 0 || now < d.lastSyncAt + t.syncTimeout;
}

function anyLiveDevice(u: UserPresence, now: number, t: PresenceTimers): boolean {
  for (const d of u.devices.values()) if (isLive(d, now, t)) return true;
  return false;
}

/** A device's state at `now` with idle applied: online becomes unavailable exactly at lastActiveAt + idleTimeout. */
export function deviceStateAt(d: DevicePresence, now: number, t: PresenceTimers): DeviceState {
  if (d.state === "online" && now >= d.lastActiveAt + t.idleTimeout) return "unavailable";
  return d.state;
}

/** The stand-in state at `now`, or null once lapsed. An online stand-in idles like a device, from the user's last activity. */
export function explicitStateAt(u: UserPresence, now: number, t: PresenceTimers): DeviceState | null {
  if (u.explicit === null) return null;
  const since = u.explicitAt ?? u.lastActiveAt;
  if (since === null || now >= since + t.syncTimeout) return null;
  if (u.explicit === "online" && (u.lastActiveAt === null || now >= u.lastActiveAt + t.idleTimeout)) return "unavailable";
  return u.explicit;
}

/**
 * The lease that keeps busy (and call tracking) from getting stuck: with no live device and no
 * activity for busyTimeout, busy ends and every call is forgotten (a call whose end is never seen
 * ends here). It runs from the later of the last activity and the moment the last device went.
 */
/** The explicit choice has reached its end (and has not been ended yet). */
export function choiceEnded(u: UserPresence, now: number): boolean {
  return u.expiresAt != null && now >= u.expiresAt;
}

/**
 * Busy at `now`: chosen (until the choice ends), or made by a call; the lease ends both. A choice
 * that ends during a call leaves what the call implies: busy.
 */
export function busyAt(u: UserPresence, now: number, t: PresenceTimers): boolean {
  if (!u.busy && u.activeCalls === 0) return false;
  if (leaseExpired(u, now, t)) return false;
  if (choiceEnded(u, now)) return u.activeCalls > 0;
  return u.busy;
}

/**
 * The explicit choice ends as if the user had cleared it: its status message goes; a busy chosen
 * ends, or becomes the call's busy when the user is in a call (so the end of the call then
 * derives from the devices); a choice made during a call no longer outranks the call. A non-busy
 * choice lives on its device, which the next sync sets anyway: only the message goes.
 */
export function endChoice(next: UserPresence): void {
  next.statusMsg = null;
  next.expiresAt = null;
  if (next.activeCalls > 0) {
    next.busy = true;
    next.busyFromCall = true;
    next.stateBeforeCall = null;
    next.choseDuringCall = false;
  } else if (next.busy && !next.busyFromCall) {
    next.busy = false;
  }
}

export function leaseExpired(u: UserPresence, now: number, t: PresenceTimers): boolean {
  if (!u.busy && u.activeCalls === 0) return false;
  if (anyLiveDevice(u, now, t)) return false;
  return u.lastActiveAt === null || now >= u.lastActiveAt + t.busyTimeout;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Busy while busy (and the lease has not run out); otherwise the highest of the live devices and
 * the restored stand-in, online > unavailable > offline; nothing live: offline. Timers are
 * applied lazily at `now`, so this is right even before applyTimers runs.
 */
export function effectiveState(u: UserPresence, now: number, t: PresenceTimers): PresenceState {
  if (busyAt(u, now, t)) return "busy";
  let best: DeviceState = "offline";
  for (const d of u.devices.values()) {
    if (isLive(d, now, t)) best = higher(best, deviceStateAt(d, now, t));
  }
  const e = explicitStateAt(u, now, t);
  if (e !== null) best = higher(best, e);
  return best;
}

/**
 * The earliest time at which effectiveState changes by timers alone (or the lease forgets calls
 * whose end was never seen), or null. Candidates are every timer deadline; only those that
 * change something count, so a device going or idling underneath busy, or next to another
 * online device, schedules nothing. Call it on the result of applyTimers: a deadline already
 * past is returned as is (the caller then fires at once).
 */
export function nextDeadline(u: UserPresence, t: PresenceTimers): number | null {
  const { times, lease } = deadlineCandidates(u, t);
  times.sort((a, b) => a - b);
  for (let i = 0; i < times.length; i++) {
    const c = times[i]!;
    if (i > 0 && c === times[i - 1]) continue;
    const before = effectiveState(u, i === 0 ? c - 1 : times[i - 1]!, t);
    if (effectiveState(u, c, t) !== before) return c;
    if (c === lease && u.activeCalls > 0) return c;
    // The end of a choice clears its message even when the state stays.
    if (c === u.expiresAt) return c;
  }
  return null;
}

/**
 * A lower bound of nextDeadline, without evaluating any state: the earliest candidate, or null
 * when there is none (then nextDeadline is null too). When it is no earlier than a timer already
 * set, that timer comes first whatever nextDeadline says, so the caller can skip it.
 */
export function earliestCandidate(u: UserPresence, t: PresenceTimers): number | null {
  const { times } = deadlineCandidates(u, t);
  return times.length === 0 ? null : Math.min(...times);
}

/** Every timer deadline of `u` (possibly repeated), and the busy lease's if it runs. */
function deadlineCandidates(u: UserPresence, t: PresenceTimers): { times: number[]; lease: number | null } {
  const times: number[] = [];
  let allIdle = true;
  let lastGone = Number.NEGATIVE_INFINITY;
  for (const d of u.devices.values()) {
    if (d.syncsInFlight === 0) {
      const gone = d.lastSyncAt + t.syncTimeout;
      times.push(gone);
      lastGone = Math.max(lastGone, gone);
    } else {
      allIdle = false;
    }
    if (d.state === "online") times.push(d.lastActiveAt + t.idleTimeout);
  }
  if (u.explicit !== null) {
    const since = u.explicitAt ?? u.lastActiveAt;
    if (since !== null) times.push(since + t.syncTimeout);
    if (u.explicit === "online" && u.lastActiveAt !== null) times.push(u.lastActiveAt + t.idleTimeout);
  }
  if (u.expiresAt != null) times.push(u.expiresAt);
  let lease: number | null = null;
  if ((u.busy || u.activeCalls > 0) && allIdle) {
    lease = Math.max(u.lastActiveAt === null ? Number.NEGATIVE_INFINITY : u.lastActiveAt + t.busyTimeout, lastGone);
    if (Number.isFinite(lease)) times.push(lease);
    else lease = null;
  }
  return { times, lease };
}

/** currently_active: only while online and last active less than lastActiveGranularity ago. */
export function currentlyActive(u: UserPresence, now: number, t: PresenceTimers): boolean {
  return effectiveState(u, now, t) === "online" && u.lastActiveAt !== null && now < u.lastActiveAt + t.lastActiveGranularity;
}
