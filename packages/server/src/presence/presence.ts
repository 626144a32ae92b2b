import type { PresenceState } from "@axon/protocol";

/**
 * The presence rules of ../shared/guide/presence-semantics.md as pure functions: no I/O, no
 * timers, no clock. The service keeps one UserPresence per user, feeds it events through the
 * apply* transitions, reads it with effectiveState, and schedules one timer at nextDeadline.
 *
 * Protocol for the caller: call applyTimers(u, now, t) before applying an event at `now` (and
 * when the timer at nextDeadline fires), then nextDeadline on the result. effectiveState is
 * correct lazily at any `now`, but the busy lease only stays ended if it was materialised before
 * a device came back.
 */

import {
  choiceEnded,
  deviceStateAt,
  endChoice,
  explicitStateAt,
  isLive,
  leaseExpired,
  type DevicePresence,
  type DeviceState,
  type PresenceTimers,
  type UserPresence,
} from "./presence-user";

export * from "./presence-user";

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
