// A Redis restart under a running cluster: no Axon restart, no lost event; while Redis is down the
// processes still see each other's writes through the database (later), and after it is back, at once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { postgresUnavailable } from "../databases";
import { call, register, startCluster, type AxonProcess, type Cluster } from "./cluster-harness";
import { OwnRedis } from "./redis";
import { spawnSync } from "node:child_process";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

const noRedisServer = spawnSync("redis-server", ["--version"]).status === 0 ? null : "the redis-server program is not installed";
const why = (await postgresUnavailable()) ?? noRedisServer;
if (why && process.env.CI) throw new Error(`cluster tests need PostgreSQL and redis-server in CI: ${why}`);
const skip = why ? `skipped: ${why}` : false;
if (skip) console.log(`# cluster Redis test ${skip}`);

type Sync = { next_batch: string; rooms?: { join?: Record<string, { timeline?: { events: { content: { body?: string } }[] } }> }; presence?: { events: { sender: string; content: { presence: string } }[] } };

describe("a Redis restart under two Axon processes", { skip }, () => {
  let redis: OwnRedis;
  let c: Cluster;
  let owner: AxonProcess;
  let follower: AxonProcess;
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };
  let room: string;

  const sync = async (p: AxonProcess, u: { token: string }, since?: string, timeout = 0) => {
    const r = await call(p.url, "GET", `${V3}/sync?timeout=${timeout}${since ? `&since=${enc(since)}` : ""}`, u.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as unknown as Sync;
  };
  /** Sends `body` through `via` while bob long-polls on `watch`; returns how long until bob saw it. */
  const delivery = async (via: AxonProcess, watch: AxonProcess, body: string) => {
    let s = (await sync(watch, bob)).next_batch;
    const t0 = Date.now();
    const sent = await call(via.url, "PUT", `${V3}/rooms/${enc(room)}/send/m.room.message/${body}`, alice.token, { msgtype: "m.text", body });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    for (;;) {
      const res = await sync(watch, bob, s, 5000);
      if (res.rooms?.join?.[room]?.timeline?.events.some((e) => e.content.body === body)) return Date.now() - t0;
      if (Date.now() - t0 > 10_000) assert.fail(`${body} not seen on ${watch.url}`);
      s = res.next_batch;
    }
  };

  before(async () => {
    redis = await OwnRedis.start();
    // Without the front thread here (the other cluster suite runs with it).
    c = await startCluster({ redisUrl: redis.url, frontThread: false });
    owner = await c.start();
    await c.waitForOwner();
    follower = await c.start();
    alice = await register(follower.url, "alice");
    bob = await register(owner.url, "bob");
    room = (await call(owner.url, "POST", `${V3}/createRoom`, alice.token, { preset: "public_chat" })).body.room_id as string;
    assert.equal((await call(follower.url, "POST", `${V3}/join/${enc(room)}`, bob.token, {})).status, 200);
  });
  after(async () => {
    await c?.close();
    await redis?.down();
  });

  it("before: a message through the owner wakes the follower's long-poll at once", async () => {
    const ms = await delivery(owner, follower, "before");
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it("Redis down: writes still reach the follower (from the database, within its poll)", async () => {
    await redis.down();
    const ms = await delivery(owner, follower, "during");
    console.log(`# with Redis down, a message reached a long-poll on the follower after ${ms} ms`);
    assert.ok(ms < 5000, `${ms} ms`);
  });

  it("Redis back: the processes reconnect by themselves and wake-ups are immediate again", async () => {
    await redis.up();
    const end = Date.now() + 15_000;
    let ms = Infinity;
    for (let i = 0; Date.now() < end; i++) {
      ms = await delivery(owner, follower, `after-${i}`);
      if (ms < 300) break;
    }
    console.log(`# after the Redis restart, a message woke the follower's long-poll after ${ms} ms`);
    assert.ok(ms < 300, `${ms} ms`);
    // Presence flows through Redis again too.
    const s0 = await sync(owner, bob);
    assert.equal((await call(follower.url, "PUT", `${V3}/presence/${enc(alice.userId)}/status`, alice.token, { presence: "org.matrix.msc3026.busy" })).status, 200);
    let s = s0.next_batch;
    const t0 = Date.now();
    for (;;) {
      const res = await sync(follower, bob, s, 5000);
      if (res.presence?.events.some((e) => e.sender === alice.userId && e.content.presence === "org.matrix.msc3026.busy")) break;
      if (Date.now() - t0 > 10_000) assert.fail("busy not seen on the follower");
      s = res.next_batch;
    }
  });
});
