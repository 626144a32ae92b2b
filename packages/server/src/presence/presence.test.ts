import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PresenceState } from "@axon/protocol";
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
  materializeTimers,
  currentlyActive,
  effectiveState,
  emptyUser,
  isLive,
  nextDeadline,
  restoreUser,
  syncInPlace,
  type DeviceState,
  type PresenceTimers,
  type StoredPresence,
  type UserPresence,
} from "./presence";

// Short, distinct values so that every deadline is recognisable in a failure message.
const T: PresenceTimers = { syncTimeout: 30, idleTimeout: 300, busyTimeout: 3600, lastActiveGranularity: 60 };
/** Far enough to see every timer of T fire. */
const HORIZON = 10_000;

type Step =
  | { at: number; put: PresenceState; device?: string; msg?: string | null; until?: number }
  | { at: number; syncStart: DeviceState; device?: string }
  | { at: number; syncEnd: true; device?: string }
  /** A complete sync request (start and end at the same time). */
  | { at: number; sync: DeviceState; device?: string }
  | { at: number; activity: true; device?: string }
  | { at: number; removeDevice: string }
  | { at: number; callJoined: true }
  | { at: number; callLeft: true }
  | {
      at: number;
      expect: PresenceState;
      active?: boolean;
      deadline?: number | null;
      fields?: Partial<UserPresence>;
    };

interface Case {
  name: string;
  start?: UserPresence;
  steps: Step[];
}

/** Freezes objects and the Maps in them (whose set, delete and clear then throw), all the way down. */
function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    if (o instanceof Map) {
      const refuse = () => {
        throw new TypeError("frozen Map");
      };
      // Not enumerable, so that deepEqual still compares the Map by its entries alone.
      for (const m of ["set", "delete", "clear"]) Object.defineProperty(o, m, { value: refuse, enumerable: false });
      for (const v of o.values()) deepFreeze(v);
    }
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Brute force: the first time after `from` at which the state differs from the state at `from`. */
function firstChange(u: UserPresence, from: number): number | null {
  const s = effectiveState(u, from, T);
  for (let x = from + 1; x <= from + HORIZON; x++) if (effectiveState(u, x, T) !== s) return x;
  return null;
}

/** How often syncInPlace took the fast path over all cases (a test below checks that it did). */
let inPlaceTaken = 0;

/**
 * The in-place fast path, tried on a copy of `before` wherever a sync of an online device starts
 * or ends (the service only tries it for set_presence=online): when it applies it must give
 * exactly the pure transition's result with the state at `at` unchanged; when it declines it
 * must leave the copy as it was. Returns the pure result.
 */
function checkInPlace(where: string, before: UserPresence, pure: UserPresence, setPresence: DeviceState, device: string, starting: boolean, at: number): UserPresence {
  if (setPresence !== "online") return pure;
  const copy = structuredClone(before);
  if (syncInPlace(copy, device, starting, at, T)) {
    inPlaceTaken++;
    assert.deepEqual(copy, pure, `${where}: syncInPlace differs from the pure transition`);
    assert.equal(effectiveState(copy, at, T), effectiveState(before, at, T), `${where}: syncInPlace changed the state`);
  } else {
    assert.deepEqual(copy, before, `${where}: syncInPlace declined but changed its input`);
  }
  return pure;
}

/**
 * Runs the steps as the service does (applyTimers before each event), on frozen inputs so that
 * any mutation throws. Each expectation is checked both lazily (effectiveState on the state as
 * left by the events) and materialised (after applyTimers), and nextDeadline is checked against
 * a brute-force scan of the future.
 */
function run(c: Case): void {
  let u = deepFreeze(c.start ?? emptyUser());
  const dev = (s: { device?: string }) => s.device ?? "A";
  for (const [i, s] of c.steps.entries()) {
    const where = `${c.name}, step ${i} (at ${s.at})`;
    if ("expect" in s) {
      const timed = applyTimers(u, s.at, T);
      assert.equal(effectiveState(u, s.at, T), s.expect, `${where}: lazy state`);
      assert.equal(effectiveState(timed, s.at, T), s.expect, `${where}: state after applyTimers`);
      if (s.active !== undefined) assert.equal(currentlyActive(timed, s.at, T), s.active, `${where}: currently_active`);
      const d = nextDeadline(timed, T);
      // applyTimers' shortcut ("nothing due": u itself) agrees with the full materialisation, around every deadline.
      for (const x of [s.at, ...(d === null ? [] : [d - 1, d, d + 1]), s.at + HORIZON]) {
        assert.deepEqual(applyTimers(u, x, T), materializeTimers(u, x, T), `${where}: applyTimers at ${x}`);
      }
      if (s.deadline !== undefined) assert.equal(d, s.deadline, `${where}: nextDeadline`);
      const earliest = earliestCandidate(timed, T);
      if (d !== null) assert.ok(earliest !== null && earliest <= d, `${where}: earliestCandidate ${earliest} after the deadline ${d}`);
      const change = firstChange(timed, s.at);
      if (d === null) assert.equal(change, null, `${where}: state changes at ${change} but no deadline`);
      else {
        assert.ok(d > s.at, `${where}: deadline ${d} not in the future`);
        // Never late: a change found by scanning must not come before the deadline.
        if (change !== null) assert.ok(change >= d, `${where}: state changes at ${change}, deadline ${d}`);
        const atDeadline = applyTimers(timed, d, T);
        const callsForgotten = atDeadline.activeCalls !== timed.activeCalls;
        // The end of a choice clears its message even when the state stays the same.
        const choiceEnded = atDeadline.statusMsg !== timed.statusMsg || atDeadline.expiresAt !== timed.expiresAt;
        assert.ok(change === d || callsForgotten || choiceEnded, `${where}: deadline ${d} but first change at ${change}`);
      }
      for (const [k, v] of Object.entries(s.fields ?? {})) {
        assert.deepEqual(timed[k as keyof UserPresence], v, `${where}: field ${k}`);
      }
      continue;
    }
    // The fast path is tried on the state before applyTimers, as the service does.
    const untimed = u;
    u = deepFreeze(applyTimers(u, s.at, T));
    if ("put" in s) u = applyPut(u, dev(s), s.put, s.msg ?? null, s.at, s.until ?? null);
    else if ("syncStart" in s) u = checkInPlace(where, untimed, applySyncStart(u, dev(s), s.syncStart, s.at), s.syncStart, dev(s), true, s.at);
    else if ("syncEnd" in s) u = checkInPlace(where, untimed, applySyncEnd(u, dev(s), s.at), "online", dev(s), false, s.at);
    else if ("sync" in s) {
      const started = deepFreeze(checkInPlace(where, untimed, applySyncStart(u, dev(s), s.sync, s.at), s.sync, dev(s), true, s.at));
      u = checkInPlace(where, started, applySyncEnd(started, dev(s), s.at), "online", dev(s), false, s.at);
    }
    else if ("activity" in s) u = applyActivity(u, dev(s), s.at);
    else if ("removeDevice" in s) u = applyDeviceRemoved(u, s.removeDevice);
    else if ("callJoined" in s) u = applyCallJoined(u, s.at);
    else u = applyCallLeft(u, s.at);
    deepFreeze(u);
  }
}

const restored = (state: PresenceState, lastActiveAt: number | null, at: number, extra: Partial<StoredPresence> = {}) =>
  restoreUser({ state, statusMsg: "restored", lastActiveAt, ...extra }, at);

/** Choices with an end (`io.axon.expires_at`). */
const endCases: Case[] = [
  {
    name: "end: busy until 400 ends at 400 as if cleared: state from the devices, message gone",
    steps: [
      { at: 100, syncStart: "online" },
      { at: 110, put: "busy", msg: "workshop", until: 400 },
      { at: 399, expect: "busy", deadline: 400, fields: { statusMsg: "workshop", expiresAt: 400 } },
      { at: 400, expect: "online", fields: { statusMsg: null, expiresAt: null, busy: false } },
    ],
  },
  {
    name: "end: during a call the call's busy stays, and the call's end then derives from the devices",
    steps: [
      { at: 100, syncStart: "online" },
      { at: 110, put: "busy", msg: "workshop", until: 300 },
      { at: 200, callJoined: true },
      { at: 300, expect: "busy", fields: { statusMsg: null, busyFromCall: true, stateBeforeCall: null } },
      { at: 400, callLeft: true },
      { at: 400, expect: "online" },
    ],
  },
  {
    name: "end: a call that ends first gives back the chosen busy, which then ends on time",
    steps: [
      { at: 100, syncStart: "online" },
      { at: 110, put: "busy", msg: "focus", until: 390 },
      { at: 200, callJoined: true },
      { at: 300, callLeft: true },
      { at: 300, expect: "busy", deadline: 390, fields: { statusMsg: "focus" } },
      { at: 390, expect: "online", fields: { statusMsg: null } },
    ],
  },
  {
    name: "end: a choice made during a call with an end gives way to the call's busy at its end",
    steps: [
      { at: 100, syncStart: "online" },
      { at: 110, callJoined: true },
      { at: 200, put: "online", msg: "back soon", until: 350 },
      { at: 349, expect: "online", deadline: 350 },
      { at: 350, expect: "busy", fields: { statusMsg: null, choseDuringCall: false } },
      { at: 400, callLeft: true },
      { at: 400, expect: "online" },
    ],
  },
  {
    name: "end: a later choice replaces the end (no end unless it carries one)",
    steps: [
      { at: 100, syncStart: "online" },
      { at: 110, put: "busy", msg: "a", until: 500 },
      { at: 200, put: "busy", msg: "b" },
      { at: 200, expect: "busy", deadline: null, fields: { expiresAt: null } },
      { at: 600, expect: "busy", fields: { statusMsg: "b" } },
      { at: 700, put: "busy", msg: "c", until: 800 },
      { at: 750, put: "busy", msg: "d", until: 1000 },
      { at: 800, expect: "busy", deadline: 1000 },
      { at: 1000, expect: "online", fields: { statusMsg: null } },
    ],
  },
  {
    name: "end: a non-busy choice's end clears only its message",
    steps: [
      { at: 100, syncStart: "online" },
      { at: 150, put: "online", msg: "lunch", until: 400 },
      { at: 399, expect: "online", deadline: 400, fields: { statusMsg: "lunch" } },
      { at: 400, expect: "online", fields: { statusMsg: null, expiresAt: null } },
    ],
  },
  {
    name: "end: the busy lease comes first (offline at 3700), and the end still clears the message at 5000",
    steps: [
      { at: 100, put: "busy", msg: "away for the day", until: 5000 },
      { at: 3699, expect: "busy" },
      { at: 3700, expect: "offline", deadline: 5000, fields: { statusMsg: "away for the day", busy: false } },
      { at: 5000, expect: "offline", deadline: null, fields: { statusMsg: null, expiresAt: null } },
    ],
  },
  {
    name: "end: an end that passed during a restart applies at start-up",
    start: restored("busy", 100, 600, { expiresAt: 500 }),
    steps: [{ at: 600, expect: "offline", fields: { statusMsg: null, expiresAt: null, busy: false } }],
  },
  {
    name: "end: an end still ahead after a restart is kept",
    start: restored("busy", 100, 600, { expiresAt: 900 }),
    steps: [
      { at: 600, expect: "busy", deadline: 900, fields: { statusMsg: "restored" } },
      { at: 900, expect: "offline", fields: { statusMsg: null } },
    ],
  },
];

const cases: Case[] = [
  ...endCases,
  // --- basics
  { name: "a new user is offline with nothing pending", steps: [{ at: 0, expect: "offline", active: false, deadline: null }] },
  {
    name: "sync online: online and currently active; gone exactly syncTimeout after the sync ends",
    steps: [
      { at: 100, syncStart: "online" },
      { at: 100, expect: "online", active: true, deadline: 400, fields: { lastActiveAt: 100 } },
      { at: 110, syncEnd: true },
      { at: 110, expect: "online", deadline: 140 },
      { at: 139, expect: "online" },
      { at: 140, expect: "offline", deadline: null, fields: { devices: new Map() } },
    ],
  },
  {
    name: "sync unavailable: idle, and not activity",
    steps: [
      { at: 100, syncStart: "unavailable" },
      { at: 100, expect: "unavailable", active: false, deadline: null, fields: { lastActiveAt: null } },
    ],
  },
  {
    name: "sync with set_presence offline touches nothing",
    steps: [
      { at: 100, sync: "offline" },
      { at: 100, expect: "offline", deadline: null, fields: { devices: new Map(), lastActiveAt: null } },
      { at: 200, syncStart: "offline" },
      { at: 200, syncEnd: true },
      { at: 200, expect: "offline", fields: { devices: new Map() } },
    ],
  },
  {
    name: "sync offline neither keeps a device alive nor changes its state",
    steps: [
      { at: 100, sync: "online" },
      { at: 120, sync: "offline" },
      { at: 129, expect: "online" },
      { at: 130, expect: "offline" },
    ],
  },
  {
    name: "a stray sync end changes nothing",
    steps: [
      { at: 100, syncEnd: true },
      { at: 100, expect: "offline", fields: { devices: new Map() } },
    ],
  },
  {
    name: "a sync in flight keeps the device alive indefinitely",
    steps: [
      { at: 0, syncStart: "unavailable" },
      { at: 5000, expect: "unavailable", deadline: null },
      { at: 5000, syncEnd: true },
      { at: 5029, expect: "unavailable" },
      { at: 5030, expect: "offline" },
    ],
  },
  // --- idle
  {
    name: "idle: online becomes unavailable exactly idleTimeout after the last activity",
    steps: [
      { at: 0, syncStart: "online" },
      { at: 299, expect: "online", active: false, deadline: 300 },
      { at: 300, expect: "unavailable", deadline: null },
      { at: 350, activity: true },
      { at: 350, expect: "online", active: true, deadline: 650 },
      { at: 409, expect: "online", active: true },
      { at: 410, expect: "online", active: false },
    ],
  },
  {
    name: "activity brings an unavailable device back online; an offline one stays offline",
    steps: [
      { at: 0, syncStart: "unavailable" },
      { at: 10, activity: true },
      { at: 10, expect: "online", fields: { lastActiveAt: 10 } },
      { at: 20, put: "offline" },
      { at: 30, activity: true },
      { at: 30, expect: "offline", fields: { lastActiveAt: 30 } },
    ],
  },
  {
    name: "activity from a device that is not present only bumps last active",
    steps: [
      { at: 10, activity: true, device: "BOT" },
      { at: 10, expect: "offline", deadline: null, fields: { lastActiveAt: 10, devices: new Map() } },
    ],
  },
  // --- explicit states
  {
    name: "explicit unavailable from a syncing device; the next online sync changes it again",
    steps: [
      { at: 0, syncStart: "online" },
      { at: 10, put: "unavailable" },
      { at: 10, expect: "unavailable" },
      { at: 20, syncEnd: true },
      { at: 21, sync: "online" },
      { at: 21, expect: "online" },
    ],
  },
  {
    name: "PUT offline on quit, later sync online: back online",
    steps: [
      { at: 0, sync: "online" },
      { at: 10, put: "offline" },
      { at: 10, expect: "offline", active: false },
      { at: 1000, expect: "offline", deadline: null },
      { at: 2000, syncStart: "online" },
      { at: 2000, expect: "online", active: true },
    ],
  },
  {
    name: "PUT without syncing: shown for syncTimeout, then offline",
    steps: [
      { at: 100, put: "online", device: "SCRIPT" },
      { at: 100, expect: "online", deadline: 130 },
      { at: 129, expect: "online" },
      { at: 130, expect: "offline", deadline: null },
    ],
  },
  {
    name: "a PUT from a device that had gone brings it back",
    steps: [
      { at: 0, sync: "online" },
      { at: 100, put: "unavailable" },
      { at: 100, expect: "unavailable", deadline: 130 },
    ],
  },
  // --- busy
  {
    name: "busy is sticky: no sync from any device changes it, and it never idles",
    steps: [
      { at: 0, syncStart: "online" },
      { at: 10, put: "busy" },
      { at: 10, expect: "busy", active: false, deadline: null, fields: { busy: true, busyFromCall: false } },
      { at: 20, sync: "online", device: "B" },
      { at: 30, sync: "unavailable", device: "B" },
      { at: 40, sync: "offline", device: "B" },
      { at: 40, expect: "busy" },
      { at: 9000, expect: "busy", deadline: null },
    ],
  },
  {
    name: "activity never changes busy",
    steps: [
      { at: 0, syncStart: "unavailable" },
      { at: 10, put: "busy" },
      { at: 20, activity: true },
      { at: 20, expect: "busy" },
    ],
  },
  {
    name: "busy on device A, then online PUT on device B: online",
    steps: [
      { at: 0, syncStart: "online", device: "A" },
      { at: 0, syncStart: "unavailable", device: "B" },
      { at: 10, put: "busy", device: "A" },
      { at: 20, put: "online", device: "B" },
      { at: 20, expect: "online", fields: { busy: false } },
    ],
  },
  {
    name: "online PUT on device B, then busy on device A: busy",
    steps: [
      { at: 0, syncStart: "unavailable", device: "A" },
      { at: 0, syncStart: "online", device: "B" },
      { at: 10, put: "online", device: "B" },
      { at: 20, put: "busy", device: "A" },
      { at: 20, expect: "busy" },
    ],
  },
  {
    name: "unavailable PUT on another device ends busy, shows the highest device",
    steps: [
      { at: 0, syncStart: "online", device: "A" },
      { at: 0, syncStart: "online", device: "B" },
      { at: 10, put: "busy", device: "A" },
      { at: 20, put: "unavailable", device: "B" },
      { at: 20, expect: "online" },
    ],
  },
  {
    name: "busy lease: no live device and no activity for busyTimeout goes offline (exact deadline)",
    steps: [
      { at: 0, put: "busy", msg: "in a meeting" },
      { at: 10, expect: "busy", deadline: 3600 },
      { at: 3599, expect: "busy" },
      { at: 3600, expect: "offline", deadline: null, fields: { busy: false, statusMsg: "in a meeting" } },
    ],
  },
  {
    name: "busy lease runs from when the last device went, if later than the last activity",
    steps: [
      { at: 0, put: "busy" },
      { at: 0, syncStart: "unavailable" },
      { at: 5000, syncEnd: true },
      { at: 5000, expect: "busy", deadline: 5030 },
      { at: 5029, expect: "busy" },
      { at: 5030, expect: "offline" },
    ],
  },
  {
    name: "busy lease is pushed back by activity",
    steps: [
      { at: 0, put: "busy" },
      { at: 1000, activity: true },
      { at: 1000, expect: "busy", deadline: 4600 },
      { at: 4600, expect: "offline" },
    ],
  },
  // --- multi-device
  {
    name: "two devices syncing online and unavailable: online, then unavailable when the online one goes, then offline",
    steps: [
      { at: 0, syncStart: "unavailable", device: "PHONE" },
      { at: 0, sync: "online", device: "DESK" },
      { at: 0, expect: "online", deadline: 30 },
      { at: 30, expect: "unavailable", deadline: null },
      { at: 100, syncEnd: true, device: "PHONE" },
      { at: 129, expect: "unavailable", deadline: 130 },
      { at: 130, expect: "offline", fields: { devices: new Map() } },
    ],
  },
  {
    name: "a device going next to another online device schedules nothing",
    steps: [
      { at: 0, syncStart: "online", device: "A" },
      { at: 0, sync: "online", device: "B" },
      { at: 0, expect: "online", deadline: 300 },
    ],
  },
  {
    name: "removing a device drops it at once",
    steps: [
      { at: 0, syncStart: "online", device: "A" },
      { at: 0, syncStart: "unavailable", device: "B" },
      { at: 10, removeDevice: "A" },
      { at: 10, expect: "unavailable" },
      { at: 20, removeDevice: "B" },
      { at: 20, expect: "offline", deadline: null },
    ],
  },
  // --- status_msg
  {
    name: "status_msg: a PUT replaces it, syncs and timers never touch it, null clears it",
    steps: [
      { at: 0, put: "online", msg: "hello" },
      { at: 10, sync: "unavailable" },
      { at: 5000, expect: "offline", fields: { statusMsg: "hello" } },
      { at: 5000, put: "online", msg: null },
      { at: 5000, expect: "online", fields: { statusMsg: null } },
    ],
  },
  // --- restart
  {
    name: "restart: a restored online user times out syncTimeout after the restart",
    start: restored("online", 990, 1000),
    steps: [
      { at: 1000, expect: "online", active: true, deadline: 1030, fields: { statusMsg: "restored" } },
      { at: 1029, expect: "online" },
      { at: 1030, expect: "offline", deadline: null, fields: { explicit: null, statusMsg: "restored" } },
    ],
  },
  {
    name: "restart: a restored online user idles from the restored last activity",
    start: restored("online", 1000 - 290, 1000),
    steps: [
      { at: 1000, expect: "online", deadline: 1010 },
      { at: 1010, expect: "unavailable", deadline: 1030 },
    ],
  },
  {
    name: "restart: a device syncing unavailable after the restart is not outranked by the restored online",
    start: restored("online", 990, 1000),
    steps: [
      { at: 1005, syncStart: "unavailable" },
      { at: 1005, expect: "unavailable", fields: { explicit: null } },
    ],
  },
  {
    name: "restart: a device PUTting unavailable after the restart is not outranked by the restored online",
    start: restored("online", 990, 1000),
    steps: [
      { at: 1005, put: "unavailable", device: "NEW" },
      { at: 1005, expect: "unavailable" },
    ],
  },
  {
    name: "restart: a device syncing online keeps the user online past the restored lease",
    start: restored("unavailable", 500, 1000),
    steps: [
      { at: 1000, expect: "unavailable", deadline: 1030 },
      { at: 1010, syncStart: "online" },
      { at: 1200, expect: "online", deadline: 1310 },
    ],
  },
  {
    name: "restart: activity before any device is back brings a restored unavailable online",
    start: restored("unavailable", 500, 1000),
    steps: [
      { at: 1010, activity: true },
      { at: 1010, expect: "online" },
      { at: 1030, expect: "offline" },
    ],
  },
  {
    name: "restart: a restored offline user stays offline",
    start: restored("offline", 500, 1000),
    steps: [{ at: 1000, expect: "offline", deadline: null }],
  },
  {
    name: "restart: restored busy stays busy through syncs and ends by the lease",
    start: restored("busy", 900, 1000),
    steps: [
      { at: 1000, expect: "busy", deadline: 4500 },
      { at: 1010, sync: "unavailable" },
      { at: 1010, expect: "busy", deadline: 4500 },
      { at: 4499, expect: "busy" },
      { at: 4500, expect: "offline" },
    ],
  },
  {
    name: "restart: restored busy with a stale last activity goes offline once no device is live",
    start: restored("busy", 0, 10_000),
    steps: [
      { at: 10_000, expect: "offline", deadline: null },
    ],
  },
  {
    name: "restart: the explicit stand-in without explicitAt lapses from the last activity",
    start: { ...emptyUser(), explicit: "online", explicitAt: undefined, lastActiveAt: 100 },
    steps: [
      { at: 100, expect: "online", deadline: 130 },
      { at: 130, expect: "offline" },
    ],
  },
  {
    name: "restart: a restored busy made by a call ends when that call's hangup is seen",
    start: restored("busy", 990, 1000, { busyFromCall: true }),
    steps: [
      { at: 1000, syncStart: "online" },
      { at: 1000, expect: "busy" },
      { at: 1010, callLeft: true },
      { at: 1010, expect: "online" },
    ],
  },
  {
    name: "restart: a restored busy made by a call, call seen again: not busy after it",
    start: restored("busy", 990, 1000, { busyFromCall: true }),
    steps: [
      { at: 1000, syncStart: "online" },
      { at: 1001, callJoined: true },
      { at: 1010, callLeft: true },
      { at: 1010, expect: "online" },
    ],
  },
  {
    name: "restart: a restored explicit busy survives a call",
    start: restored("busy", 990, 1000),
    steps: [
      { at: 1000, syncStart: "online" },
      { at: 1001, callJoined: true },
      { at: 1010, callLeft: true },
      { at: 1010, expect: "busy" },
    ],
  },
  // --- calls
  {
    name: "call: join makes busy, leave restores what the devices say",
    steps: [
      { at: 0, syncStart: "online" },
      { at: 10, callJoined: true },
      { at: 10, expect: "busy", fields: { busy: true, busyFromCall: true, activeCalls: 1 } },
      { at: 20, callLeft: true },
      { at: 20, expect: "online", fields: { busy: false, busyFromCall: false, activeCalls: 0 } },
    ],
  },
  {
    name: "call: leave restores unavailable when the device idled during the call",
    steps: [
      { at: 0, syncStart: "online" },
      { at: 10, callJoined: true },
      { at: 1000, expect: "busy" },
      { at: 1000, callLeft: true },
      { at: 1000, expect: "unavailable" },
    ],
  },
  {
    name: "call: chose online during the call, then busy is not restored",
    steps: [
      { at: 0, syncStart: "online" },
      { at: 5, put: "busy" },
      { at: 10, callJoined: true },
      { at: 20, put: "online" },
      { at: 20, expect: "online", fields: { choseDuringCall: true } },
      { at: 30, callLeft: true },
      { at: 30, expect: "online", fields: { choseDuringCall: false, stateBeforeCall: null } },
    ],
  },
  {
    name: "call: chose busy during the call, stays busy after it",
    steps: [
      { at: 0, syncStart: "online" },
      { at: 10, callJoined: true },
      { at: 20, put: "busy" },
      { at: 30, callLeft: true },
      { at: 30, expect: "busy", fields: { busyFromCall: false } },
    ],
  },
  {
    name: "call: busy before the call stays busy after it",
    steps: [
      { at: 0, syncStart: "online" },
      { at: 5, put: "busy" },
      { at: 10, callJoined: true },
      { at: 10, expect: "busy", fields: { stateBeforeCall: "busy", busyFromCall: false } },
      { at: 20, callLeft: true },
      { at: 20, expect: "busy", fields: { busy: true, stateBeforeCall: null } },
    ],
  },
  {
    name: "call: nested calls end busy only with the last one",
    steps: [
      { at: 0, syncStart: "online" },
      { at: 10, callJoined: true },
      { at: 20, callJoined: true },
      { at: 30, callLeft: true },
      { at: 30, expect: "busy", fields: { activeCalls: 1 } },
      { at: 40, callLeft: true },
      { at: 40, expect: "online", fields: { activeCalls: 0 } },
      { at: 50, callLeft: true },
      { at: 50, expect: "online", fields: { activeCalls: 0 } },
    ],
  },
  {
    name: "call: a sync during a call does not end busy",
    steps: [
      { at: 0, syncStart: "online" },
      { at: 10, callJoined: true },
      { at: 20, sync: "unavailable", device: "B" },
      { at: 20, expect: "busy" },
    ],
  },
  {
    name: "call: a call whose end is never seen ends by the lease, and the next call makes busy again",
    steps: [
      { at: 0, sync: "online" },
      { at: 10, callJoined: true },
      { at: 10, expect: "busy", deadline: 3610 },
      { at: 3610, expect: "offline", fields: { activeCalls: 0, busy: false } },
      { at: 4000, syncStart: "online" },
      { at: 4000, expect: "online" },
      { at: 4010, callJoined: true },
      { at: 4010, expect: "busy", fields: { activeCalls: 1 } },
    ],
  },
  {
    name: "call: a stale call of a user who chose online is forgotten by the lease",
    steps: [
      { at: 0, sync: "online" },
      { at: 10, callJoined: true },
      { at: 20, put: "online" },
      { at: 20, expect: "online", deadline: 50 },
      { at: 50, expect: "offline", deadline: 3620, fields: { activeCalls: 1 } },
      { at: 3620, expect: "offline", deadline: null, fields: { activeCalls: 0 } },
    ],
  },
];

describe("presence rules", () => {
  for (const c of cases) it(c.name, () => run(c));

  it("syncInPlace agrees with the pure transitions over random histories", () => {
    // A small seeded generator (mulberry32), so that a failure replays.
    let seed = 7;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <V>(xs: readonly V[]): V => xs[Math.floor(rand() * xs.length)]!;
    const before = inPlaceTaken;
    for (let run = 0; run < 300; run++) {
      // Some histories start from a restart's stand-in state.
      const restoredAs = pick([null, null, "online", "unavailable", "busy"] as const);
      let u = deepFreeze(restoredAs === null ? emptyUser() : restoreUser({ state: restoredAs, statusMsg: null, lastActiveAt: 0 }, 0));
      let at = 0;
      for (let step = 0; step < 40; step++) {
        // Mostly short gaps (a client re-syncing), sometimes past a timer, rarely a clock stepping back.
        at += pick([0, 1, 2, 5, 29, 31, 61, 301, 3601, -3]);
        const device = pick(["A", "A", "B"]);
        const where = `random history ${run}, step ${step} (at ${at}, device ${device})`;
        const untimed = u;
        u = deepFreeze(applyTimers(u, at, T));
        const kind = pick(["start", "start", "end", "end", "end", "put", "activity", "call", "callLeft"] as const);
        if (kind === "start") {
          const sp = pick(["online", "online", "online", "unavailable"] as const);
          u = checkInPlace(where, untimed, applySyncStart(u, device, sp, at), sp, device, true, at);
        } else if (kind === "end") u = checkInPlace(where, untimed, applySyncEnd(u, device, at), "online", device, false, at);
        else if (kind === "put") u = applyPut(u, device, pick(["online", "busy", "unavailable", "offline"] as const), null, at);
        else if (kind === "activity") u = applyActivity(u, device, at);
        else if (kind === "call") u = applyCallJoined(u, at);
        else u = applyCallLeft(u, at);
        deepFreeze(u);
      }
    }
    assert.ok(inPlaceTaken - before >= 1000, `fast path taken only ${inPlaceTaken - before} times`);
  });

  it("the cases exercise syncInPlace's fast path, not only its refusals", () => {
    // Runs after the cases above (node:test keeps their order).
    assert.ok(inPlaceTaken >= 10, `fast path taken ${inPlaceTaken} times`);
  });

  it("isLive: exactly at the sync timeout the device is gone", () => {
    const d = { state: "online" as const, syncsInFlight: 0, lastSyncAt: 100, lastActiveAt: 100 };
    assert.equal(isLive(d, 129, T), true);
    assert.equal(isLive(d, 130, T), false);
    assert.equal(isLive({ ...d, syncsInFlight: 1 }, 1_000_000, T), true);
  });

  it("transitions return a new object and leave their input untouched", () => {
    const base = applySyncStart(emptyUser(), "A", "online", 0);
    const snapshot = structuredClone(base);
    const outs = [
      applyPut(base, "A", "busy", "x", 1),
      applyPut(base, "B", "offline", null, 1),
      applySyncStart(base, "A", "unavailable", 1),
      applySyncStart(base, "A", "offline", 1),
      applySyncEnd(base, "A", 1),
      applyActivity(base, "A", 1),
      applyDeviceRemoved(base, "A"),
      applyCallJoined(base, 1),
      applyCallLeft(base, 1),
      applyTimers(base, 10_000, T),
    ];
    assert.deepEqual(base, snapshot);
    for (const o of outs) {
      assert.notEqual(o, base);
      assert.notEqual(o.devices, base.devices);
    }
  });

  it("emptyUser returns a fresh object each time", () => {
    const a = emptyUser();
    a.devices.set("X", { state: "online", syncsInFlight: 1, lastSyncAt: 0, lastActiveAt: 0 });
    assert.deepEqual(emptyUser().devices, new Map());
  });
});
