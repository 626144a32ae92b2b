import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rtcMembershipEnd } from "@axon/protocol";
import { CallWatcher } from "./calls";
import { ManualClock } from "./clock";
import type { MatrixEvent, SyncResponse } from "./types";

const ME = "@me:x";
const room = (timeline: MatrixEvent[], state: MatrixEvent[] = []): SyncResponse => ({ next_batch: "n", rooms: { join: { "!r:x": { state: { events: state }, timeline: { events: timeline } } } } });
const ev = (type: string, sender: string, content: Record<string, unknown>, extra: Partial<MatrixEvent> = {}): MatrixEvent => ({ type, sender, content, origin_server_ts: 1_000_000, ...extra });

describe("CallWatcher", () => {
  it("reads MatrixRTC memberships of mine (both shapes), with their expiry, the last word per call winning", () => {
    const clock = new ManualClock(1_000_000);
    const w = new CallWatcher(ME, clock);
    const joined = ev("org.matrix.msc3401.call.member", ME, { application: "m.call", expires: 60_000 }, { state_key: "_@me:x_D1" });
    assert.deepEqual(w.observe(room([joined]), true), [{ key: "rtc|!r:x|org.matrix.msc3401.call.member|_@me:x_D1", live: true, endsAt: 1_060_000 }]);
    // Someone else's membership is not my call.
    assert.deepEqual(w.observe(room([{ ...joined, sender: "@you:x", state_key: "_@you:x_D" }]), false), []);
    // Legacy shape with a memberships list; an empty list or {} means left.
    const legacy = ev("m.call.member", ME, { memberships: [{ expires_ts: 2_000_000 }] }, { state_key: ME });
    assert.equal(w.observe(room([legacy]), false)[0]?.endsAt, 2_000_000);
    assert.equal(w.observe(room([{ ...legacy, content: { memberships: [] } }]), false)[0]?.live, false);
    // An expired membership is not live; state then timeline: the timeline's later {} wins.
    assert.equal(w.observe(room([ev("m.call.member", ME, { expires_ts: 999_999 }, { state_key: "k" })]), false)[0]?.live, false);
    const both = w.observe(room([{ ...joined, content: {} }], [joined]), true);
    assert.deepEqual(both.map((c) => c.live), [false]);
    assert.equal(rtcMembershipEnd({}, 5), null);
    assert.equal(rtcMembershipEnd({ created_ts: 10, expires: 5 }, 0), 15);
  });

  it("follows 1:1 calls: my answer, or their answer to my invite, until a hangup or reject; not from an initial sync or old events", () => {
    const w = new CallWatcher(ME, new ManualClock());
    const call = (type: string, sender: string, id: string, age = 0) => ev(type, sender, { call_id: id }, { unsigned: { age } });
    assert.deepEqual(w.observe(room([call("m.call.invite", "@you:x", "c1")]), false), [], "ringing is not a call");
    assert.deepEqual(w.observe(room([call("m.call.answer", ME, "c1")]), false).map((c) => c.live), [true]);
    assert.deepEqual(w.observe(room([call("m.call.hangup", "@you:x", "c1")]), false).map((c) => [c.key, c.live]), [["voip|!r:x|c1", false]]);
    // I call; they answer: I am in the call.
    w.observe(room([call("m.call.invite", ME, "c2")]), false);
    assert.deepEqual(w.observe(room([call("m.call.answer", "@you:x", "c2")]), false).map((c) => c.live), [true]);
    // Someone else's call answered by someone else is not mine.
    w.observe(room([call("m.call.invite", "@you:x", "c3")]), false);
    assert.deepEqual(w.observe(room([call("m.call.answer", "@them:x", "c3")]), false), []);
    // History: an initial sync's answer, or an answer an hour old, does not start a call.
    assert.deepEqual(w.observe(room([call("m.call.answer", ME, "c4")]), true), []);
    assert.deepEqual(w.observe(room([call("m.call.answer", ME, "c5", 4_000_000)]), false), []);
    assert.deepEqual(w.observe(room([call("m.call.reject", "@you:x", "c6")]), false).map((c) => c.live), [false]);
  });
});
