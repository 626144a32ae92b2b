import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MatrixError, type PresenceState, type UserId } from "@axon/protocol";
import { BUSY_PUSH_TYPE, BusyHold, holdsPush, parseBusyPushSetting, type BusyHoldMode } from "./busy-hold";

const MSG = { type: "m.room.message" };
const ENC = { type: "m.room.encrypted" };
const INVITE = { type: "m.call.invite" };
const RING = { type: "org.matrix.msc4075.rtc.notification" };

describe("holdsPush (table)", () => {
  const rows: [PresenceState, BusyHoldMode, { type: string }, boolean, boolean][] = [
    // state, mode, event, highlight, held?
    ["online", "ordinary", MSG, false, false],
    ["online", "all", MSG, false, false],
    ["unavailable", "ordinary", MSG, false, false],
    ["offline", "all", MSG, true, false],
    ["busy", "ordinary", MSG, false, true],
    ["busy", "ordinary", ENC, false, true],
    ["busy", "ordinary", MSG, true, false],
    ["busy", "ordinary", ENC, true, false],
    ["busy", "ordinary", INVITE, false, false],
    ["busy", "ordinary", RING, false, false],
    ["busy", "ordinary", { type: "m.call.notify" }, false, false],
    ["busy", "all", MSG, true, true],
    ["busy", "all", INVITE, false, true],
    ["busy", "none", MSG, false, false],
    ["busy", "none", MSG, true, false],
  ];
  for (const [state, mode, event, highlight, held] of rows) {
    it(`${state}, hold=${mode}, ${event.type}${highlight ? " (highlight)" : ""} → ${held ? "held" : "pushed"}`, () => {
      assert.equal(holdsPush(state, mode, event, { highlight }), held);
    });
  }
});

describe("parseBusyPushSetting", () => {
  it("accepts the three modes", () => {
    for (const m of ["ordinary", "all", "none"] as const) assert.equal(parseBusyPushSetting({ hold: m }), m);
  });
  for (const bad of [{}, { hold: "sometimes" }, { hold: 1 }, { hold: null }, { hold: ["all"] }]) {
    it(`refuses ${JSON.stringify(bad)} with M_INVALID_PARAM`, () => {
      assert.throws(
        () => parseBusyPushSetting(bad),
        (e: unknown) => e instanceof MatrixError && e.status === 400 && e.errcode === "M_INVALID_PARAM",
      );
    });
  }
});

describe("BusyHold", () => {
  const ALICE = "@alice:x" as UserId;
  const BOB = "@bob:x" as UserId;
  const setup = async (enabled: boolean, stored: { userId: UserId; content: Record<string, unknown> }[] = []) => {
    const states = new Map<UserId, PresenceState>();
    let listener: ((u: UserId, type: string, c: Record<string, unknown>) => void) | null = null;
    const hold = new BusyHold({
      enabled,
      stateOf: (u) => states.get(u) ?? "offline",
      loadSettings: () => Promise.resolve(stored),
      onAccountData: (l) => (listener = l),
    });
    await hold.start();
    return { hold, states, put: (u: UserId, type: string, c: Record<string, unknown>) => listener!(u, type, c) };
  };

  it("holds an ordinary message for a busy user and not once they are online", async () => {
    const { hold, states } = await setup(true);
    states.set(ALICE, "busy");
    assert.equal(hold.holds(ALICE, MSG, { highlight: false, actions: ["notify"] }), true);
    assert.equal(hold.holds(ALICE, MSG, { highlight: true, actions: ["notify"] }), false);
    states.set(ALICE, "online");
    assert.equal(hold.holds(ALICE, MSG, { highlight: false, actions: ["notify"] }), false);
  });

  it("the operator switch off holds nothing", async () => {
    const { hold, states } = await setup(false, [{ userId: ALICE, content: { hold: "all" } }]);
    states.set(ALICE, "busy");
    assert.equal(hold.holds(ALICE, MSG, { highlight: true, actions: [] }), false);
  });

  it("reads stored choices at start-up and follows account-data writes; bad stored content means the default", async () => {
    const { hold, states, put } = await setup(true, [
      { userId: ALICE, content: { hold: "none" } },
      { userId: BOB, content: { hold: "weird" } },
    ]);
    states.set(ALICE, "busy");
    states.set(BOB, "busy");
    assert.equal(hold.modeOf(ALICE), "none");
    assert.equal(hold.modeOf(BOB), "ordinary");
    assert.equal(hold.holds(ALICE, MSG, { highlight: false, actions: [] }), false);
    put(ALICE, BUSY_PUSH_TYPE, { hold: "all" });
    assert.equal(hold.holds(ALICE, INVITE, { highlight: true, actions: [] }), true);
    put(ALICE, "m.something_else", { hold: "none" });
    assert.equal(hold.modeOf(ALICE), "all");
    put(ALICE, BUSY_PUSH_TYPE, { hold: "ordinary" });
    assert.equal(hold.modeOf(ALICE), "ordinary");
  });
});
