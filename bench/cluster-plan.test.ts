import assert from "node:assert/strict";
import { test } from "node:test";
import { benchIndexOf, FD_RESERVE, parsePortRange, planPollers, processOf, sourceAddress, sumStats } from "./cluster-plan";
import { AckLedger, statusMsgOf } from "./failover-ledger";

test("source addresses start after the servers' 127.0.0.1 and stay in 127.0.0.0/8", () => {
  assert.equal(sourceAddress(0), "127.0.0.2");
  assert.equal(sourceAddress(1), "127.0.0.3");
  assert.equal(sourceAddress(252), "127.0.0.254");
  assert.equal(sourceAddress(253), "127.0.1.1");
  const all = new Set(Array.from({ length: 1000 }, (_, k) => sourceAddress(k)));
  assert.equal(all.size, 1000);
  for (const a of all) assert.match(a, /^127\.0\.\d+\.([1-9]\d?|1\d\d|2[0-4]\d|25[0-4])$/);
  assert.throws(() => sourceAddress(-1), RangeError);
});

test("long-polls go round robin over the processes", () => {
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => processOf(i, 3)), [0, 1, 2, 0, 1]);
});

test("40,000 long-polls: four children of 10,000, one address each, every child reaching every process", () => {
  const shares = planPollers(40_000, 10_000, { fdLimit: 20_000, ports: parsePortRange("32768\t60999\n") });
  assert.equal(shares.length, 4);
  assert.deepEqual(shares.map((s) => s.address), ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]);
  assert.deepEqual(shares.map((s) => s.positions.length), [10_000, 10_000, 10_000, 10_000]);
  const seen = new Set(shares.flatMap((s) => s.positions));
  assert.equal(seen.size, 40_000);
  for (const s of shares) assert.deepEqual(new Set(s.positions.slice(0, 30).map((p) => processOf(p, 3))), new Set([0, 1, 2]));
});

test("an uneven split puts the extra long-polls on the first children", () => {
  assert.deepEqual(planPollers(7, 3, { fdLimit: 1000, ports: 1000 }).map((s) => s.positions), [[0, 3, 6], [1, 4], [2, 5]]);
  assert.equal(planPollers(5, 10, { fdLimit: 1000, ports: 1000 }).length, 1);
});

test("a share beyond a child's descriptors or its address's ports is refused", () => {
  assert.throws(() => planPollers(19_900, 19_900, { fdLimit: 20_000, ports: 28_232 }), /descriptors/);
  assert.doesNotThrow(() => planPollers(19_800, 20_000 - FD_RESERVE, { fdLimit: 20_000, ports: 28_232 }));
  assert.throws(() => planPollers(5_000, 5_000, { fdLimit: 20_000, ports: 4_000 }), /ports/);
  assert.throws(() => parsePortRange("60999 32768"), /bad port range/);
});

test("watcher stats add up, errors by status included", () => {
  const a = { responses: 3, woken: 2, events: 5, errors: 1, errorsByStatus: { "0": 1 } };
  const b = { responses: 1, woken: 1, events: 1, errors: 2, errorsByStatus: { "0": 1, "502": 1 } };
  assert.deepEqual(sumStats([a, b]), { responses: 4, woken: 3, events: 6, errors: 3, errorsByStatus: { "0": 2, "502": 1 } });
});

test("bench user ids give their index back", () => {
  assert.equal(benchIndexOf("@bench42:b1.localhost"), 42);
  assert.equal(benchIndexOf("@alice:localhost"), undefined);
});

test("failover check: the last acknowledged PUT must be what a survivor reads back", () => {
  const l = new AckLedger();
  l.settled(1, 10, "online", true);
  l.settled(1, 20, "org.matrix.msc3026.busy", true);
  l.settled(1, 5, "unavailable", true); // answered late: an older PUT does not replace the last
  l.settled(2, 11, "unavailable", true);
  l.settled(2, 21, "online", false); // no answer: may have been applied
  l.settled(3, 12, "online", false);
  assert.deepEqual(l.users(), [1, 2]);
  assert.equal(l.verify(1, { presence: "org.matrix.msc3026.busy", status_msg: statusMsgOf(20) }), "ok");
  assert.equal(l.verify(1, { presence: "online", status_msg: statusMsgOf(10) }), "lost");
  assert.equal(l.verify(1, { presence: "offline", status_msg: statusMsgOf(20) }), "lost", "busy does not end by a timer");
  assert.equal(l.verify(2, { presence: "offline", status_msg: statusMsgOf(11) }), "ok", "unavailable may have timed out");
  assert.equal(l.verify(2, { presence: "online", status_msg: statusMsgOf(21) }), "later-unacknowledged");
  assert.equal(l.verify(2, { presence: "offline" }), "lost");
  assert.equal(l.verify(3, { presence: "offline" }), "ok", "nothing acknowledged, nothing to check");
});
