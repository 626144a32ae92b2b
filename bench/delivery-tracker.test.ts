import assert from "node:assert/strict";
import { test } from "node:test";
import { DeliveryTracker } from "./delivery-tracker";

const everyone = () => true;

test("a delivery is timed from the PUT to the sync that carries it", () => {
  const t = new DeliveryTracker(everyone);
  assert.equal(t.recordChange(1, "online", 100, [2, 3]), 2);
  assert.equal(t.recordEvent(2, 1, "online", 130), "seen");
  assert.deepEqual(t.counts(), { changes: 1, expected: 2, seen: 1, lost: 1, unmatched: 0, unexpected: 0, unmatched_by_state: {} });
  assert.deepEqual([...t.latencies.view()], [30]);
});

test("a later state supersedes earlier pending changes of the same sender", () => {
  const t = new DeliveryTracker(everyone);
  t.recordChange(1, "online", 0, [2]);
  t.recordChange(1, "busy", 10, [2]);
  t.recordChange(1, "unavailable", 20, [2]);
  assert.equal(t.recordEvent(2, 1, "busy", 50), "seen");
  assert.deepEqual([...t.latencies.view()], [50, 40]);
  assert.equal(t.outstanding(), 1);
  assert.equal(t.recordEvent(2, 1, "unavailable", 60), "seen");
  assert.equal(t.outstanding(), 0);
});

test("an earlier state arriving after a later one is not counted again", () => {
  const t = new DeliveryTracker(everyone);
  t.recordChange(1, "online", 0, [2]);
  t.recordChange(1, "busy", 10, [2]);
  t.recordEvent(2, 1, "busy", 20);
  assert.equal(t.recordEvent(2, 1, "online", 25), "unmatched");
  assert.equal(t.counts().seen, 2);
});

test("the latest matching state wins when a state repeats", () => {
  const t = new DeliveryTracker(everyone);
  t.recordChange(1, "online", 0, [2]);
  t.recordChange(1, "busy", 10, [2]);
  t.recordChange(1, "online", 20, [2]);
  t.recordEvent(2, 1, "online", 30);
  assert.equal(t.outstanding(), 0);
  assert.deepEqual([...t.latencies.view()], [30, 20, 10]);
});

test("a state seen before it was sent does not match", () => {
  const t = new DeliveryTracker(everyone);
  t.recordChange(1, "online", 100, [2]);
  assert.equal(t.recordEvent(2, 1, "online", 50), "unmatched");
  assert.equal(t.outstanding(), 1);
});

test("deliveries are per watcher; other watchers stay pending", () => {
  const t = new DeliveryTracker(everyone);
  t.recordChange(1, "online", 0, [2, 3]);
  t.recordEvent(2, 1, "online", 5);
  t.recordEvent(2, 1, "online", 6);
  assert.equal(t.counts().lost, 1);
  assert.equal(t.counts().unmatched, 1);
});

test("an event from a sender the watcher cannot see is a leak", () => {
  const t = new DeliveryTracker((w, s) => w !== 9 || s === 9);
  assert.equal(t.recordEvent(9, 1, "online", 5), "unexpected");
  assert.equal(t.recordEvent(2, 1, "online", 5), "unmatched");
  assert.deepEqual(t.counts(), { changes: 0, expected: 0, seen: 0, lost: 0, unmatched: 1, unexpected: 1, unmatched_by_state: { online: 1 } });
});

test("a change whose PUT failed is withdrawn where still pending; seen deliveries stay seen", () => {
  const t = new DeliveryTracker(everyone);
  const seenAt: number[] = [];
  t.onSeen = (sentAt, at) => seenAt.push(at - sentAt);
  t.recordChange(1, "online", 100, [2, 3, 4]);
  assert.equal(t.recordEvent(2, 1, "online", 120), "seen");
  assert.equal(t.withdraw(1, "online", 100, [2, 3, 4]), 2);
  assert.deepEqual(t.counts(), { changes: 1, expected: 1, seen: 1, lost: 0, unmatched: 0, unexpected: 0, unmatched_by_state: {}, withdrawn: 2 });
  assert.equal(t.outstanding(), 0);
  assert.equal(t.recordEvent(3, 1, "online", 130), "unmatched");
  assert.deepEqual(seenAt, [20]);
});
