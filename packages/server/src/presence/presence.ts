import type { PresenceState } from "@axon/protocol";

/**
 * The presence rules of /work/shared/guide/presence-semantics.md as pure functions: no I/O, no
 * timers, no clock. The service keeps one UserPresence per user, feeds it events through the
 * apply* transitions, reads it with effectiveState, and schedules one timer at nextDeadline.
 *
 * Protocol for the caller: call applyTimers(u, now, t) before applying an event at `now` (and
 * when the timer at nextDeadline fires), then nextDeadline on the result. effectiveState is
 * correct lazily at any `now`, but the busy lease only stays ended if it was materialised before
 * a device came back.
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
const higher = (a: DeviceState, b: DeviceState): DeviceState => (RANK[b] > RANK[a] ? b : a);
const later = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));

/**
 * A copy to change. Device records are shared with `u` until changed: a rule that changes one
 * takes its own copy first (`ownDevice`), so `u` is never modified. (A full deep copy on every
 * sync start and end was the largest cost of the online-sync path.)
 */
function clone(u: UserPresence): UserPresence {
  return { ...u, devices: new Map(u.devices) };
}

/** `next`'s own copy of a device record, safe to change; undefined when there is none. */
function ownDevice(next: UserPresence, deviceId: string): DevicePresence | undefined {
  const d = next.devices.get(deviceId);
  if (!d) return undefined;
  const own = { ...d };
  next.devices.set(deviceId, own);
  return own;
}

/** Live: a sync in flight, or one ended less than syncTimeout ago (gone exactly at the deadline). */
export function isLive(d: DevicePresence, now: number, t: PresenceTimers): boolean {
  return d.syncsInFlight > 0 || now < d.lastSyncAt + t.syncTimeout;
}

function anyLiveDevice(u: UserPresence, now: number, t: PresenceTimers): boolean {
  for (const d of u.devices.values()) if (isLive(d, now, t)) return true;
  return false;
}

/** A device's state at `now` with idle applied: online becomes unavailable exactly at lastActiveAt + idleTimeout. */
function deviceStateAt(d: DevicePresence, now: number, t: PresenceTimers): DeviceState {
  if (d.state === "online" && now >= d.lastActiveAt + t.idleTimeout) return "unavailable";
  return d.state;
}

/** The stand-in state at `now`, or null once lapsed. An online stand-in idles like a device, from the user's last activity. */
function explicitStateAt(u: UserPresence, now: number, t: PresenceTimers): DeviceState | null {
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
function choiceEnded(u: UserPresence, now: number): boolean {
  return u.expiresAt != null && now >= u.expiresAt;
}

/**
 * Busy at `now`: chosen (until the choice ends), or made by a call; the lease ends both. A choice
 * that ends during a call leaves what the call implies: busy.
 */
function busyAt(u: UserPresence, now: number, t: PresenceTimers): boolean {
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
function endChoice(next: UserPresence): void {
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

function leaseExpired(u: UserPresence, now: number, t: PresenceTimers): boolean {
  if (!u.busy && u.activeCalls === 0) return false;
  if (anyLiveDevice(u, now, t)) return false;
  return u.lastActiveAt === null || now >= u.lastActiveAt + t.busyTimeout;
}

// ---------------------------------------------------------------------------------------------
// Transitions

/**
 * Explicit PUT. Counts as activity. Busy applies to the user whichever device sent it; any other
 * state ends busy (latest explicit choice wins) and sets the sending device's state.
 * Decisions: the PUT also counts as a sign of life of its device (live for syncTimeout, like a
 * sync), so a client that PUTs without syncing shows its state briefly and then times out, as on
 * the reference server, and a PUT from a device that had gone is not lost. A busy PUT brings an
 * unavailable device back online underneath (it is activity). A PUT during a call means the end
 * of the call restores nothing.
 */
export function applyPut(
  u: UserPresence,
  deviceId: string,
  state: PresenceState,
  statusMsg: string | null,
  now: number,
  /** When this choice ends; null: it has none (a later choice always replaces an earlier end). */
  expiresAt: number | null = null,
): UserPresence {
  const next = clone(u);
  next.statusMsg = statusMsg;
  next.expiresAt = expiresAt;
  next.lastActiveAt = later(u.lastActiveAt, now);
  const d: DevicePresence = ownDevice(next, deviceId) ?? { state: "online", syncsInFlight: 0, lastSyncAt: now, lastActiveAt: now };
  d.lastSyncAt = Math.max(d.lastSyncAt, now);
  d.lastActiveAt = Math.max(d.lastActiveAt, now);
  if (state === "busy") {
    next.busy = true;
    if (d.state === "unavailable") d.state = "online";
  } else {
    next.busy = false;
    d.state = state;
  }
  next.busyFromCall = false;
  next.devices.set(deviceId, d);
  next.explicit = null;
  next.explicitAt = null;
  if (next.activeCalls > 0) next.choseDuringCall = true;
  return next;
}

/**
 * A /sync of the device starts. set_presence "offline" does not touch presence at all (the
 * device is not even kept alive by it; pair it with no applySyncEnd either). "online" is
 * activity; "unavailable" marks the device idle without activity. Never touches busy.
 */
export function applySyncStart(u: UserPresence, deviceId: string, setPresence: DeviceState, now: number): UserPresence {
  const next = clone(u);
  if (setPresence === "offline") return next;
  // lastActiveAt 0 is never read: it only matters once the device is online, which sets it.
  const d: DevicePresence = ownDevice(next, deviceId) ?? { state: setPresence, syncsInFlight: 0, lastSyncAt: now, lastActiveAt: 0 };
  d.syncsInFlight += 1;
  d.lastSyncAt = Math.max(d.lastSyncAt, now);
  d.state = setPresence;
  if (setPresence === "online") {
    d.lastActiveAt = Math.max(d.lastActiveAt, now);
    next.lastActiveAt = later(u.lastActiveAt, now);
  }
  next.devices.set(deviceId, d);
  next.explicit = null;
  next.explicitAt = null;
  return next;
}

/** A /sync started with applySyncStart ends; a stray end (no sync in flight) changes nothing. */
export function applySyncEnd(u: UserPresence, deviceId: string, now: number): UserPresence {
  const next = clone(u);
  if (!next.devices.get(deviceId)?.syncsInFlight) return next;
  const d = ownDevice(next, deviceId) as DevicePresence;
  d.syncsInFlight -= 1;
  d.lastSyncAt = Math.max(d.lastSyncAt, now);
  return next;
}

/**
 * The hot path of a client that keeps long-polling with set_presence=online: one of its syncs
 * starts or ends while its device is already online and nothing is due. Then the transition only
 * moves counters and times forward, the state at `now` stays what it was, and no deadline comes
 * earlier except the device's own "gone" when its last sync ends. In that case this changes `u`
 * in place (no copies: this runs twice per /sync) and returns true, with `u` equal to what
 * applySyncStart or applySyncEnd would have returned; otherwise it changes nothing and returns
 * false, and the caller takes the general path.
 *
 * Only for a caller that owns `u` outright: `u` and its device records must not be shared with
 * any other copy still in use (device records are shared between a user and the copies the
 * apply* functions make of it, so the caller keeps only the latest).
 */
export function syncInPlace(u: UserPresence, deviceId: string, starting: boolean, now: number, t: PresenceTimers): boolean {
  const d = u.devices.get(deviceId);
  if (d === undefined || d.state !== "online" || u.explicit !== null || u.explicitAt !== null) return false;
  if (!starting && d.syncsInFlight === 0) return false;
  if (u.lastActiveAt === null || now < d.lastSyncAt || now < d.lastActiveAt || now < u.lastActiveAt) return false;
  if (timersDue(u, now, t)) return false;
  if (starting) {
    d.syncsInFlight += 1;
    d.lastActiveAt = now;
    u.lastActiveAt = now;
  } else {
    d.syncsInFlight -= 1;
  }
  d.lastSyncAt = now;
  return true;
}

/**
 * Activity (sending an event, typing, receipts): bumps last active and brings an unavailable
 * device back online; never changes busy, and leaves an explicitly offline device offline
 * ("appear offline" survives sending a message). Decision: activity from a device that is not
 * present only bumps last active (a request is not a connection), except that it brings an
 * unavailable restored stand-in back online (the user is plainly there).
 */
export function applyActivity(u: UserPresence, deviceId: string, now: number): UserPresence {
  const next = clone(u);
  next.lastActiveAt = later(u.lastActiveAt, now);
  const d = ownDevice(next, deviceId);
  if (d) {
    d.lastActiveAt = Math.max(d.lastActiveAt, now);
    if (d.state === "unavailable") d.state = "online";
  } else if (next.explicit === "unavailable") {
    next.explicit = "online";
  }
  return next;
}

/** The device was deleted or logged out: it stops counting at once. */
export function applyDeviceRemoved(u: UserPresence, deviceId: string): UserPresence {
  const next = clone(u);
  next.devices.delete(deviceId);
  return next;
}

/**
 * The user joined a call. The first call makes them busy and remembers whether they were
 * already busy by choice (then they stay busy after the call). Decision: joining counts as
 * activity of the user (it is something they did), so the busy lease runs from the join.
 */
export function applyCallJoined(u: UserPresence, now: number): UserPresence {
  const next = clone(u);
  next.activeCalls = u.activeCalls + 1;
  next.lastActiveAt = later(u.lastActiveAt, now);
  if (u.activeCalls === 0) {
    next.choseDuringCall = false;
    if (u.busy && !u.busyFromCall) {
      next.stateBeforeCall = "busy";
    } else {
      next.busy = true;
      next.busyFromCall = true;
      next.stateBeforeCall = null;
    }
  }
  return next;
}

/**
 * The user left a call. Leaving the last one restores what they had before (busy if they were
 * busy by choice, else what their devices say) unless they chose a state during the call.
 * Decision: a leave with no call tracked (e.g. the call was restored as busy after a restart)
 * still ends a busy that a call made.
 */
export function applyCallLeft(u: UserPresence, _now: number): UserPresence {
  const next = clone(u);
  if (u.activeCalls === 0) {
    if (u.busy && u.busyFromCall) {
      next.busy = false;
      next.busyFromCall = false;
    }
    return next;
  }
  next.activeCalls = u.activeCalls - 1;
  if (next.activeCalls === 0) {
    if (!u.choseDuringCall) {
      next.busy = u.stateBeforeCall === "busy";
      next.busyFromCall = false;
    }
    next.stateBeforeCall = null;
    next.choseDuringCall = false;
  }
  return next;
}

/**
 * Materialises every timer due at `now`: the busy lease, devices gone after syncTimeout, online
 * devices idle after idleTimeout, a lapsed stand-in. Busy never idles; status_msg never changes.
 */
export function applyTimers(u: UserPresence, now: number, t: PresenceTimers): UserPresence {
  // Usually nothing is due: then the result would equal `u`, so `u` itself is returned.
  return timersDue(u, now, t) ? materializeTimers(u, now, t) : u;
}

/** applyTimers without the shortcut: always a new object (exported for the test that they agree). */
export function materializeTimers(u: UserPresence, now: number, t: PresenceTimers): UserPresence {
  const next = clone(u);
  if (choiceEnded(u, now)) endChoice(next);
  if (leaseExpired(next, now, t)) {
    next.busy = false;
    next.busyFromCall = false;
    next.activeCalls = 0;
    next.stateBeforeCall = null;
    next.choseDuringCall = false;
  }
  const devices = new Map<string, DevicePresence>();
  for (const [id, d] of next.devices) {
    if (isLive(d, now, t)) devices.set(id, { ...d, state: deviceStateAt(d, now, t) });
  }
  next.devices = devices;
  const e = explicitStateAt(u, now, t);
  next.explicit = e;
  if (e === null) next.explicitAt = null;
  return next;
}

/** Whether applyTimers at `now` would change anything (mirrors it check by check). */
function timersDue(u: UserPresence, now: number, t: PresenceTimers): boolean {
  if (choiceEnded(u, now) || leaseExpired(u, now, t)) return true;
  for (const d of u.devices.values()) {
    if (!isLive(d, now, t) || deviceStateAt(d, now, t) !== d.state) return true;
  }
  const e = explicitStateAt(u, now, t);
  return e !== u.explicit || (e === null && u.explicitAt !== null);
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
