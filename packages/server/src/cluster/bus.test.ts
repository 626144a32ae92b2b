import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { LocalHub, RedisBus, reconnectDelay, type BusLog, type ClusterBus } from "./bus";

const URL6379 = "redis://127.0.0.1:6379";
/** The shared Redis the tests use: the machine's, unless TEST_REDIS_URL names another. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? URL6379;
const runId = `axon-bus-test-${process.pid}-${Date.now()}`;

/** A logger that keeps what it is told. */
function recordingLog() {
  const lines: Array<{ level: string; msg: string }> = [];
  const at = (level: string) => (...args: unknown[]) => {
    const msg = args.find((a): a is string => typeof a === "string") ?? "";
    lines.push({ level, msg });
  };
  const log: BusLog = { info: at("info"), warn: at("warn"), error: at("error") };
  return { log, lines, count: (re: RegExp) => lines.filter((l) => re.test(l.msg)).length };
}

/** Polls until `cond` holds; fails naming `what` after `ms`. */
async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function collect(bus: ClusterBus, channel: string): unknown[] {
  const got: unknown[] = [];
  bus.subscribe(channel, (m) => got.push(m));
  return got;
}

async function answers(url: string): Promise<boolean> {
  const c = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  c.on("error", () => {});
  try {
    await c.connect();
    await c.ping();
    return true;
  } catch {
    return false;
  } finally {
    c.destroy();
  }
}

/** The machine's Redis on 6379; started (as CI's scripts/services.sh would) when it does not answer. */
async function machineRedis(): Promise<string | undefined> {
  if (await answers(REDIS_URL)) return undefined;
  if (REDIS_URL !== URL6379) return `Redis at ${REDIS_URL} (TEST_REDIS_URL) does not answer`;
  spawnSync("redis-server", ["--daemonize", "yes", "--save", "", "--appendonly", "no"], { stdio: "ignore", timeout: 5000 });
  for (let i = 0; i < 20; i++) {
    if (await answers(URL6379)) return undefined;
    await sleep(100);
  }
  return "Redis at 127.0.0.1:6379 does not answer and could not be started";
}

const unreachable = await machineRedis();
if (unreachable && process.env.CI) throw new Error(`${unreachable} (CI is set: these tests must run)`);

describe("RedisBus on the machine's Redis", { skip: unreachable }, () => {
  const buses: ClusterBus[] = [];
  const open = async (prefix: string, log: BusLog = recordingLog().log) => {
    const bus = await RedisBus.connect({ url: REDIS_URL, prefix, log });
    buses.push(bus);
    return bus;
  };
  after(async () => {
    await Promise.all(buses.map((b) => b.close()));
  });

  it("delivers 1,000 messages of one publisher to every bus, itself included, in order", async () => {
    const prefix = `${runId}-order`;
    const a = await open(prefix);
    const b = await open(prefix);
    assert.notEqual(a.processId, b.processId);
    assert.ok(a.connected && b.connected);
    const gotA = collect(a, "wake");
    const gotB = collect(b, "wake");
    await Promise.all([a.subscribed(), b.subscribed()]);
    const sent = Array.from({ length: 1000 }, (_, i) => ({ n: i, from: a.processId }));
    for (const m of sent) a.publish("wake", m);
    await until("1,000 messages on both", () => gotA.length >= 1000 && gotB.length >= 1000);
    await sleep(50); // nothing extra arrives
    assert.deepEqual(gotA, sent);
    assert.deepEqual(gotB, sent);
  });

  it("keeps servers with different prefixes apart, and channels apart", async () => {
    const one = await open(`${runId}-one`);
    const two = await open(`${runId}-two`);
    const gotOne = collect(one, "wake");
    const gotTwo = collect(two, "wake");
    const gotOther = collect(one, "other");
    await Promise.all([one.subscribed(), two.subscribed()]);
    one.publish("wake", "for one");
    two.publish("wake", "for two");
    await until("each its own", () => gotOne.length === 1 && gotTwo.length === 1);
    await sleep(50);
    assert.deepEqual(gotOne, ["for one"]);
    assert.deepEqual(gotTwo, ["for two"]);
    assert.deepEqual(gotOther, []);
  });

  it("drops a malformed payload, logs it, and still delivers what follows", async () => {
    const prefix = `${runId}-garbage`;
    const rec = recordingLog();
    const a = await open(prefix, rec.log);
    const got = collect(a, "wake");
    let handlerCalls = 0;
    a.subscribe("wake", () => {
      handlerCalls++;
      if (handlerCalls === 1) throw new Error("a broken handler");
    });
    await a.subscribed();
    const raw = createClient({ url: REDIS_URL });
    await raw.connect();
    try {
      await raw.publish(`${prefix}:wake`, "{not json");
      await raw.publish(`${prefix}:wake`, "");
    } finally {
      raw.destroy();
    }
    a.publish("wake", { ok: 1 });
    a.publish("wake", { ok: 2 });
    await until("the two good messages", () => got.length === 2);
    assert.deepEqual(got, [{ ok: 1 }, { ok: 2 }]);
    assert.equal(rec.count(/malformed/), 2);
    assert.equal(rec.count(/handler failed/), 1);
    assert.ok(a.connected);
  });

  it("publish never throws on what JSON cannot carry", async () => {
    const rec = recordingLog();
    const a = await open(`${runId}-nojson`, rec.log);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    a.publish("wake", cyclic);
    a.publish("wake", 10n);
    a.publish("wake", undefined);
    assert.equal(rec.lines.filter((l) => l.level === "error").length, 3);
  });
});

/** A redis-server of the test's own on a free port; only ever killed by its pid. */
class OwnRedis {
  child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    this.child = child;
    for (let i = 0; i < 100; i++) {
      if (await answers(this.url)) return;
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    assert.fail(`redis-server on port ${this.port} did not start`);
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

const haveRedisServer = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
const noRedisServer = haveRedisServer ? undefined : "no redis-server binary";
if (noRedisServer && process.env.CI) throw new Error("the redis-server binary is missing (CI is set: the restart test must run)");

describe("RedisBus across a Redis restart", { skip: noRedisServer, timeout: 30_000 }, () => {
  let redis: OwnRedis;
  const buses: ClusterBus[] = [];
  before(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
  });
  after(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await redis.kill();
  });

  it("reconnects by itself, resubscribes, tells onReconnect, and drops (logging once) while down", async (t) => {
    const recA = recordingLog();
    const a = await RedisBus.connect({ url: redis.url, prefix: runId, log: recA.log });
    const b = await RedisBus.connect({ url: redis.url, prefix: runId, log: recordingLog().log });
    buses.push(a, b);
    const gotA = collect(a, "wake");
    const gotB = collect(b, "wake");
    let reconnectsA = 0;
    let reconnectsB = 0;
    a.onReconnect(() => reconnectsA++);
    b.onReconnect(() => reconnectsB++);
    await Promise.all([a.subscribed(), b.subscribed()]);
    a.publish("wake", "before");
    await until("the first message", () => gotA.length === 1 && gotB.length === 1);

    await redis.kill();
    await until("both buses seeing the outage", () => !a.connected && !b.connected);
    for (let i = 0; i < 50; i++) a.publish("wake", `lost ${i}`);
    b.publish("wake", "lost too");
    // (A publish the dying connection had already taken fails asynchronously: wait for the log line.)
    await until("the drop logged", () => recA.count(/dropping published messages/) > 0);
    await sleep(50);
    assert.equal(recA.count(/dropping published messages/), 1, "one log line for the outage, not one per message");
    assert.equal(reconnectsA + reconnectsB, 0);
    const during = collect(b, "during"); // subscribed while Redis is down
    await sleep(1600); // long enough for the backoff to reach its 1 s cap

    const restarted = performance.now();
    await redis.start();
    const answering = performance.now();
    await until("onReconnect on both buses", () => reconnectsA === 1 && reconnectsB === 1, 5000);
    await until("both connected again", () => a.connected && b.connected, 5000);
    const ms = (from: number) => Math.round(performance.now() - from);
    t.diagnostic(`buses connected again ${ms(answering)} ms after the new redis-server answered (${ms(restarted)} ms after its start)`);
    assert.ok(ms(answering) < 2000, "the backoff is capped at a second");
    assert.ok(recA.count(/connection restored/) >= 2, "publisher and subscriber restored");

    a.publish("wake", "after");
    await until("a message after the restart", () => gotA.length === 2 && gotB.length === 2);
    b.publish("wake", "after from b"); // (order holds per publisher only: one after the other)
    await until("messages after the restart", () => gotA.length === 3 && gotB.length === 3);
    await until("the end of the drops logged", () => recA.count(/publishing again/) === 1);
    assert.deepEqual(gotA, ["before", "after", "after from b"]);
    assert.deepEqual(gotB, ["before", "after", "after from b"]);

    // Channels subscribed during the outage and after it work too.
    const late = collect(b, "late");
    await b.subscribed();
    a.publish("during", 1);
    a.publish("late", 2);
    await until("the channels subscribed during and after the outage", () => during.length === 1 && late.length === 1);
  });
});

describe("RedisBus.connect", () => {
  it("fails within the bounded wait, naming the url, when nothing listens", async () => {
    const port = await freePort();
    const t0 = performance.now();
    await assert.rejects(
      RedisBus.connect({ url: `redis://:secret@127.0.0.1:${port}`, prefix: runId, log: recordingLog().log, connectTimeoutMs: 1500 }),
      (err: Error) => {
        assert.match(err.message, new RegExp(`cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
        assert.doesNotMatch(err.message, /secret/);
        assert.match(err.message, /ECONNREFUSED/);
        return true;
      },
    );
    const ms = performance.now() - t0;
    assert.ok(ms >= 1400 && ms < 3000, `gave up after ${Math.round(ms)} ms`);
  });

  it("rejects a url that is not one", async () => {
    await assert.rejects(RedisBus.connect({ url: "http://nope", prefix: runId, log: recordingLog().log }), /bad Redis url http:\/\/nope/);
  });

  it("backs off up to a second, forever", () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 100].map(reconnectDelay), [50, 100, 200, 400, 800, 1000, 1000, 1000]);
  });
});

describe("LocalHub", () => {
  it("delivers every publish to every bus, itself included, in order and asynchronously", async () => {
    const hub = new LocalHub();
    const a = hub.bus("a");
    const b = hub.bus();
    assert.equal(a.processId, "a");
    assert.notEqual(b.processId, "a");
    const gotA = collect(a, "wake");
    const gotB = collect(b, "wake");
    const other = collect(b, "other");
    const sent = Array.from({ length: 1000 }, (_, i) => ({ n: i }));
    for (const m of sent) a.publish("wake", m);
    b.publish("wake", "last");
    assert.equal(gotA.length, 0, "not delivered synchronously");
    await sleep(0);
    assert.deepEqual(gotA, [...sent, "last"]);
    assert.deepEqual(gotB, [...sent, "last"]);
    assert.deepEqual(other, []);
    assert.notEqual(gotA[0], sent[0], "a copy, as through Redis");
  });

  it("simulates an outage: not connected, drops, onReconnect on restore; closed buses hear nothing", async () => {
    const hub = new LocalHub();
    const a = hub.bus();
    const b = hub.bus();
    const got = collect(b, "wake");
    let reconnects = 0;
    b.onReconnect(() => reconnects++);
    assert.ok(a.connected);
    hub.outage();
    assert.ok(!a.connected && !b.connected);
    a.publish("wake", "lost");
    hub.restore();
    assert.equal(reconnects, 1);
    assert.ok(b.connected);
    a.publish("wake", "kept");
    await sleep(0);
    assert.deepEqual(got, ["kept"]);
    await b.close();
    a.publish("wake", "after close");
    await sleep(0);
    assert.deepEqual(got, ["kept"]);
    assert.ok(!b.connected);
  });
});
