import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyUser } from "./presence";
import { fastPathTaken, restored, run, type Case } from "./presence-rules-harness";

const cases: Case[] = [
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
];

describe("presence rules", () => {
  for (const c of cases) it(c.name, () => run(c));

  it("the cases exercise syncInPlace's fast path, not only its refusals", () => {
    // Runs after the cases above (node:test keeps their order); the random histories are in presence-transitions.test.ts.
    assert.ok(fastPathTaken() >= 5, `fast path taken ${fastPathTaken()} times`);
  });

});
