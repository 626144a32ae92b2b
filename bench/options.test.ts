import assert from "node:assert/strict";
import { test } from "node:test";
import { OptionError, parseBigroom, parseCluster, parseFanout, parseIdle, parseStorm } from "./options";

test("fanout defaults: 1,000 users, rooms of 20, 3 each, all watching, 50/s", () => {
  const o = parseFanout({});
  assert.equal(o.users, 1000);
  assert.equal(o.roomSize, 20);
  assert.equal(o.roomsPerUser, 3);
  assert.equal(o.watchers, 1000);
  assert.equal(o.rate, 50);
  assert.equal(o.db, "sqlite");
  assert.equal(o.syncTimeoutMs, 30_000);
  assert.equal(o.cpuProf, null);
});

test("string options become numbers; watchers default to the user count", () => {
  const o = parseFanout({ users: "200", roomSize: "10", rate: "2.5", duration: "3", db: "postgres" });
  assert.equal(o.users, 200);
  assert.equal(o.watchers, 200);
  assert.equal(o.rate, 2.5);
  assert.equal(o.durationS, 3);
  assert.equal(o.db, "postgres");
});

test("bad values are refused with the option's name", () => {
  assert.throws(() => parseFanout({ users: "ten" }), (e: Error) => e instanceof OptionError && e.message.includes("--users"));
  assert.throws(() => parseFanout({ roomSize: "30", users: "20" }), /--room-size/);
  assert.throws(() => parseFanout({ watchers: "2000" }), /--watchers/);
  assert.throws(() => parseFanout({ db: "mysql" }), /--db/);
  assert.throws(() => parseIdle({ duration: "0" }), /--duration/);
});

test("bigroom is one room holding every member, 10 changes/s by default", () => {
  const o = parseBigroom({ members: "300" });
  assert.equal(o.users, 300);
  assert.equal(o.roomSize, 300);
  assert.equal(o.roomsPerUser, 1);
  assert.equal(o.rate, 10);
  assert.equal(parseBigroom({ members: "300", rate: "4" }).rate, 4);
});

test("--cpu-prof without a directory uses bench/profiles", () => {
  assert.equal(parseStorm({ cpuProf: true }).cpuProf, "bench/profiles");
  assert.equal(parseStorm({ cpuProf: "/tmp/p" }).cpuProf, "/tmp/p");
  assert.equal(parseStorm({ within: "10" }).withinS, 10);
});

test("cluster: PostgreSQL, 3 processes; polls defaults to 40,000 users at 20/s, failover kills midway and drains longer", () => {
  const f = parseCluster("fanout", {});
  assert.equal(f.db, "postgres");
  assert.equal(f.processes, 3);
  assert.equal(f.users, 1000);
  assert.equal(f.rate, 50);
  assert.equal(f.compare, true);
  assert.equal(f.redisUrl, "redis://127.0.0.1:6379");
  const p = parseCluster("polls", {});
  assert.equal(p.users, 40_000);
  assert.equal(p.watchers, 40_000);
  assert.equal(p.rate, 20);
  assert.equal(p.idleS, 10);
  assert.equal(p.compare, false);
  const k = parseCluster("failover", { duration: "40" });
  assert.equal(k.killAtS, 20);
  assert.equal(k.drainS, 15);
  assert.equal(parseCluster("fanout", { compare: false }).compare, false);
});

test("cluster refuses SQLite, other Redis hosts, an unknown measurement and a kill after the end", () => {
  assert.throws(() => parseCluster("fanout", { db: "sqlite" }), /PostgreSQL/);
  assert.throws(() => parseCluster("fanout", { redisUrl: "redis://10.0.0.5:6379" }), /--redis-url/);
  assert.doesNotThrow(() => parseCluster("fanout", { redisUrl: "redis://127.0.0.9:6380" }));
  assert.throws(() => parseCluster("storm", {}), /fanout, polls or failover/);
  assert.throws(() => parseCluster("failover", { duration: "10", killAt: "10" }), /--kill-at/);
});
