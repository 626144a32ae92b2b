// Table tests of the pure presence rules for calls and for choices with an end.
import { describe, it } from "node:test";
import { restored, run, type Case } from "./presence-rules-harness";

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

const callCases: Case[] = [
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

describe("presence rules: calls and ends", () => {
  for (const c of [...callCases, ...endCases]) it(c.name, () => run(c));
});
