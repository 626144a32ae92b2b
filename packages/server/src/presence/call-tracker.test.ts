import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UserId } from "@axon/protocol";
import { FakeClock } from "../clock";
import { rtcMembershipEnd } from "@axon/protocol";
import { CallTracker } from "./call-tracker";
import type { PersistedEvent } from "./presence-hooks";

const A = "@a:t" as UserId;
const B = "@b:t" as UserId;

function setup() {
  const clock = new FakeClock(1_000_000);
  const log: string[] = [];
  const tracker = new CallTracker(
    clock,
    (u) => log.push(`join ${u}`),
    (u) => log.push(`leave ${u}`),
  );
  let n = 0;
  const ev = (sender: UserId, type: string, content: Record<string, unknown>, stateKey?: string): PersistedEvent => ({
    event_id: `$${++n}`,
    room_id: "!r:t",
    sender,
    type,
    content,
    origin_server_ts: clock.now(),
    ...(stateKey !== undefined && { state_key: stateKey }),
  });
  return { clock, log, tracker, ev };
}

describe("CallTracker", () => {
  it("a MatrixRTC membership puts the user in a call; empty content takes them out", () => {
    const { log, tracker, ev } = setup();
    const content = { application: "m.call", call_id: "", device_id: "D1", expires: 3_600_000 };
    tracker.eventPersisted(ev(A, "org.matrix.msc3401.call.member", content, `_${A}_D1`));
    assert.deepEqual(log, [`join ${A}`]);
    assert.equal(tracker.callsOf(A), 1);
    // A refresh of the same membership is not a second call.
    tracker.eventPersisted(ev(A, "org.matrix.msc3401.call.member", content, `_${A}_D1`));
    assert.deepEqual(log, [`join ${A}`]);
    tracker.eventPersisted(ev(A, "org.matrix.msc3401.call.member", {}, `_${A}_D1`));
    assert.deepEqual(log, [`join ${A}`, `leave ${A}`]);
  });

  it("honours the membership's expiry", () => {
    const { clock, log, tracker, ev } = setup();
    tracker.eventPersisted(ev(A, "m.call.member", { call_id: "c", device_id: "D", expires: 10_000 }, `${A}_D`));
    clock.advance(9_999);
    assert.deepEqual(log, [`join ${A}`]);
    clock.advance(1);
    assert.deepEqual(log, [`join ${A}`, `leave ${A}`]);
  });

  it("an already-expired membership does not start a call", () => {
    const { clock, log, tracker, ev } = setup();
    tracker.eventPersisted(ev(A, "m.call.member", { call_id: "c", expires_ts: clock.now() - 1 }, `${A}_D`));
    assert.deepEqual(log, []);
  });

  it("the legacy memberships array: non-empty in, empty out", () => {
    const { log, tracker, ev } = setup();
    tracker.eventPersisted(ev(A, "org.matrix.msc3401.call.member", { memberships: [{ call_id: "", expires: 60_000 }] }, A));
    tracker.eventPersisted(ev(A, "org.matrix.msc3401.call.member", { memberships: [] }, A));
    assert.deepEqual(log, [`join ${A}`, `leave ${A}`]);
  });

  it("leaving one of two calls keeps the user in a call", () => {
    const { log, tracker, ev } = setup();
    tracker.eventPersisted(ev(A, "m.call.member", { call_id: "1", device_id: "D1" }, `${A}_D1`));
    tracker.eventPersisted(ev(A, "m.call.member", { call_id: "2", device_id: "D2" }, `${A}_D2`));
    tracker.eventPersisted(ev(A, "m.call.member", {}, `${A}_D1`));
    assert.deepEqual(log, [`join ${A}`]);
    tracker.eventPersisted(ev(A, "m.call.member", {}, `${A}_D2`));
    assert.deepEqual(log, [`join ${A}`, `leave ${A}`]);
  });

  it("1:1 VoIP: answer puts inviter and answerer in the call, hangup ends it", () => {
    const { log, tracker, ev } = setup();
    tracker.eventPersisted(ev(A, "m.call.invite", { call_id: "x", version: 1 }));
    assert.deepEqual(log, []);
    tracker.eventPersisted(ev(B, "m.call.answer", { call_id: "x", version: 1 }));
    assert.deepEqual(log, [`join ${A}`, `join ${B}`]);
    tracker.eventPersisted(ev(A, "m.call.hangup", { call_id: "other" }));
    assert.equal(log.length, 2);
    tracker.eventPersisted(ev(A, "m.call.hangup", { call_id: "x" }));
    assert.deepEqual(log, [`join ${A}`, `join ${B}`, `leave ${A}`, `leave ${B}`]);
  });

  it("a rejected call never makes anyone busy", () => {
    const { log, tracker, ev } = setup();
    tracker.eventPersisted(ev(A, "m.call.invite", { call_id: "x" }));
    tracker.eventPersisted(ev(B, "m.call.reject", { call_id: "x" }));
    tracker.eventPersisted(ev(B, "m.call.answer", { call_id: "x" }));
    // The late answer to a rejected call has no inviter on record: only the answerer is in it.
    assert.deepEqual(log, [`join ${B}`]);
  });

  it("reads expiry from the content shapes in use", () => {
    assert.equal(rtcMembershipEnd({}, 0), null);
    assert.equal(rtcMembershipEnd({ memberships: [] }, 0), null);
    assert.equal(rtcMembershipEnd({ expires: 5 }, 100), 105);
    assert.equal(rtcMembershipEnd({ expires_ts: 7 }, 100), 7);
    assert.equal(rtcMembershipEnd({ memberships: [{ expires: 5 }, { expires_ts: 500 }] }, 100), 500);
  });
});
