// Properties of the pure presence transitions (the case table is in presence.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  applyActivity,
  applyCallJoined,
  applyCallLeft,
  applyDeviceRemoved,
  applyPut,
  applySyncEnd,
  applySyncStart,
  applyTimers,
  emptyUser,
  isLive,
  restoreUser,
} from "./presence";
import { checkInPlace, deepFreeze, fastPathTaken, T } from "./presence-rules-harness";

describe("presence transitions", () => {
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
    const before = fastPathTaken();
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
        else if (kind === "put") u = applyPut(u, device, pick(["online", "busy", "unavailable", "offline"] as const), pick([null, "msg"]), at, pick([null, null, at + 40, at + 400]));
        else if (kind === "activity") u = applyActivity(u, device, at);
        else if (kind === "call") u = applyCallJoined(u, at);
        else u = applyCallLeft(u, at);
        deepFreeze(u);
      }
    }
    assert.ok(fastPathTaken() - before >= 1000, `fast path taken only ${fastPathTaken() - before} times`);
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
