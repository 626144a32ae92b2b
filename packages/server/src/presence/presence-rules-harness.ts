// The table-test harness of the pure presence rules (presence.ts): steps, expectations, and checks
// that the lazy and materialised states, the deadline and the in-place fast path all agree.
import assert from "node:assert/strict";
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
  nextDeadline,
  restoreUser,
  syncInPlace,
  type DeviceState,
  type PresenceTimers,
  type StoredPresence,
  type UserPresence,
} from "./presence";

// Short, distinct values so that every deadline is recognisable in a failure message.
export const T: PresenceTimers = { syncTimeout: 30, idleTimeout: 300, busyTimeout: 3600, lastActiveGranularity: 60 };
/** Far enough to see every timer of T fire. */
export const HORIZON = 10_000;

export type Step =
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

export interface Case {
  name: string;
  start?: UserPresence;
  steps: Step[];
}

/** Freezes objects and the Maps in them (whose set, delete and clear then throw), all the way down. */
export function deepFreeze<T>(o: T): T {
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
/** How often the fast path was taken so far. */
export const fastPathTaken = (): number => inPlaceTaken;

/**
 * The in-place fast path, tried on a copy of `before` wherever a sync of an online device starts
 * or ends (the service only tries it for set_presence=online): when it applies it must give
 * exactly the pure transition's result with the state at `at` unchanged; when it declines it
 * must leave the copy as it was. Returns the pure result.
 */
export function checkInPlace(where: string, before: UserPresence, pure: UserPresence, setPresence: DeviceState, device: string, starting: boolean, at: number): UserPresence {
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
export function run(c: Case): void {
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

export const restored = (state: PresenceState, lastActiveAt: number | null, at: number, extra: Partial<StoredPresence> = {}) =>
  restoreUser({ state, statusMsg: "restored", lastActiveAt, ...extra }, at);

