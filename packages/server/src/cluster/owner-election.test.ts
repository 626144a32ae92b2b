import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, it } from "node:test";
import pg from "pg";
import pino from "pino";
import { freshDatabase, postgresUnavailable, type TestDatabase } from "../../test/databases";
import { advisoryLockKey, OwnerElection, type OwnerElectionOptions } from "./owner-election";

const log = pino({ level: "silent" });
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const childScript = fileURLToPath(new URL("../../test/owner-election-child.ts", import.meta.url));

const unavailable = await postgresUnavailable();
if (unavailable && process.env.CI) throw new Error(`owner election tests need PostgreSQL when CI is set: ${unavailable}`);
if (unavailable) console.log(`skipping owner election tests: ${unavailable}`);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
  return performance.now() - t0;
}

describe("advisoryLockKey", () => {
  it("is a deterministic signed 64-bit decimal, different per name", () => {
    const a = advisoryLockKey("axon:example.org:owner");
    assert.equal(a, advisoryLockKey("axon:example.org:owner"));
    assert.notEqual(a, advisoryLockKey("axon:example.com:owner"));
    const n = BigInt(a);
    assert.ok(n >= -(2n ** 63n) && n < 2n ** 63n);
  });
});

describe("OwnerElection without PostgreSQL", () => {
  it("start() resolves as a non-owner and close() stops the retries", async () => {
    const e = new OwnerElection({ connectionString: "postgres://postgres@127.0.0.1:1/none", lockKey: "k", processId: "p", url: "http://p", retryMs: 50, log });
    await e.start();
    assert.equal(e.isOwner, false);
    await sleep(120);
    await e.close();
    assert.equal(e.isOwner, false);
  });
});

describe("OwnerElection on PostgreSQL", { skip: unavailable ?? false }, () => {
  let tdb: TestDatabase;
  const open: OwnerElection[] = [];

  // A database per test: cluster_owner holds one row, so epochs count from 1 in each.
  beforeEach(async () => {
    tdb = await freshDatabase("postgres");
    await (await tdb.open()).close(); // migrated: cluster_owner exists
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((e) => e.close()));
    await tdb.cleanup();
  });

  const newKey = () => `axon:test-${randomBytes(6).toString("hex")}:owner`;
  function election(processId: string, lockKey: string, more: Partial<OwnerElectionOptions> = {}): OwnerElection & { id: string; changes: boolean[] } {
    const e = Object.assign(new OwnerElection({ connectionString: tdb.url, lockKey, processId, url: `http://${processId}.internal:8008`, log, ...more }), {
      id: processId,
      changes: [] as boolean[],
    });
    e.onChange((v) => e.changes.push(v));
    open.push(e);
    return e;
  }
  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const c = new pg.Client({ connectionString: tdb.url });
    await c.connect();
    try {
      return (await c.query<R>(text, values)).rows;
    } finally {
      await c.end();
    }
  }
  const backendPids = (processId: string) =>
    query<{ pid: number }>("select pid from pg_stat_activity where application_name = $1", [`axon-owner ${processId}`]).then((r) => r.map((x) => x.pid));

  it("two elections: exactly one owner, recorded; closing it hands over with a higher epoch", async () => {
    const key = newKey();
    const retryMs = 500;
    const a = election(`a-${randomBytes(3).toString("hex")}`, key, { retryMs });
    const b = election(`b-${randomBytes(3).toString("hex")}`, key, { retryMs });
    await Promise.all([a.start(), b.start()]);
    assert.equal([a, b].filter((e) => e.isOwner).length, 1);
    const [owner, other] = a.isOwner ? [a, b] : [b, a];
    assert.deepEqual(await other.currentOwner(), { processId: owner.id, url: `http://${owner.id}.internal:8008`, epoch: 1 });
    assert.equal(owner.epoch, 1);
    assert.equal(other.epoch, null);

    await owner.close();
    assert.deepEqual(owner.changes, [true, false], `${owner.id} became owner, then stepped down on close`);
    const ms = await waitFor(() => other.isOwner, retryMs + 1000, "the other to take over");
    console.log(`takeover after a graceful close (retryMs ${retryMs}): ${Math.round(ms)} ms`);
    const now = await other.currentOwner();
    assert.equal(now?.epoch, 2);
    assert.equal(now?.url, `http://${other.id}.internal:8008`);
    assert.equal(other.epoch, 2);
  });

  it("kill -9 of the owner's process: another process takes over within a few seconds", async (t) => {
    const key = newKey();
    const retryMs = 2000;
    const childId = `child-${randomBytes(3).toString("hex")}`;
    const child = spawn(process.execPath, ["--import", "tsx", childScript, tdb.url, key, childId, String(retryMs)], {
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "inherit"],
    });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes("owner\n") || child.exitCode !== null, 20_000, "the child to become owner");
    assert.match(out, /^owner$/m, `child output: ${out}`);

    const e = election(`parent-${randomBytes(3).toString("hex")}`, key, { retryMs });
    await e.start();
    assert.equal(e.isOwner, false, "the child holds the lock");
    assert.equal((await e.currentOwner())?.processId, childId);

    // The worst phase: the survivor has just tried (start()), so its next try is a full retryMs away.
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const t0 = performance.now();
    assert.ok(child.pid !== undefined && process.kill(child.pid, "SIGKILL"));
    await waitFor(() => e.isOwner, retryMs + 2000, "the test's election to take over");
    const ms = performance.now() - t0;
    console.log(`takeover after kill -9 of the owner (retryMs ${retryMs}): ${Math.round(ms)} ms`);
    await exited;
    assert.deepEqual(await e.currentOwner(), { processId: e.id, url: `http://${e.id}.internal:8008`, epoch: 2 });
  });

  it("the owner's backend terminated from outside: it steps down at once, the other takes over, the first rejoins as non-owner", async () => {
    const key = newKey();
    const retryMs = 500;
    const a = election(`ta-${randomBytes(3).toString("hex")}`, key, { retryMs, checkMs: 200 });
    const b = election(`tb-${randomBytes(3).toString("hex")}`, key, { retryMs, checkMs: 200 });
    await a.start();
    await b.start();
    assert.equal(a.isOwner, true);
    assert.equal(b.isOwner, false);
    const [pid] = await backendPids(a.id);
    assert.ok(pid !== undefined, "a's lock connection is in pg_stat_activity");

    const t0 = performance.now();
    await query("select pg_terminate_backend($1)", [pid]);
    const down = await waitFor(() => !a.isOwner, 1000, "a to step down");
    console.log(`owner stepped down ${Math.round(down)} ms after pg_terminate_backend`);
    assert.deepEqual(a.changes, [true, false]);
    await waitFor(() => b.isOwner, retryMs + 1000, "b to take over");
    console.log(`takeover after pg_terminate_backend (retryMs ${retryMs}): ${Math.round(performance.now() - t0)} ms`);
    assert.equal((await b.currentOwner())?.epoch, 2);

    // a reconnects (a new backend) and stays a non-owner while b holds the lock.
    await waitFor(async () => (await backendPids(a.id)).some((p) => p !== pid), retryMs + 2000, "a to reconnect");
    await sleep(retryMs * 2);
    assert.equal(a.isOwner, false);
    assert.equal(b.isOwner, true);
    assert.equal([a, b].filter((e) => e.isOwner).length, 1);

    // and it is still in the race: closing b hands over to a.
    await b.close();
    await waitFor(() => a.isOwner, retryMs + 1000, "a to take over again");
    assert.deepEqual(a.changes, [true, false, true]);
    assert.equal((await a.currentOwner())?.epoch, 3);
  });

  it("a network cut: the owner steps down within checkMs + checkTimeoutMs, before PostgreSQL frees its lock", async (t) => {
    const key = newKey();
    const proxy = await cuttableProxy(new URL(tdb.url));
    t.after(() => proxy.close());
    const viaProxy = new URL(tdb.url);
    viaProxy.port = String(proxy.port);
    const a = election(`na-${randomBytes(3).toString("hex")}`, key, { connectionString: viaProxy.toString(), retryMs: 300, checkMs: 200, checkTimeoutMs: 500 });
    const b = election(`nb-${randomBytes(3).toString("hex")}`, key, { retryMs: 300 });
    await a.start();
    await b.start();
    assert.equal(a.isOwner, true);

    proxy.cut(); // nothing passes, not even the close of a's side: PostgreSQL still sees a's session
    const down = await waitFor(() => !a.isOwner, 200 + 500 + 500, "a to step down");
    console.log(`owner stepped down ${Math.round(down)} ms after the network cut (checkMs 200, checkTimeoutMs 500)`);
    await sleep(600);
    assert.equal(b.isOwner, false, "the lock is still held by a's orphaned session");

    proxy.dropServerSide(); // PostgreSQL notices the dead client (its keepalives, in real life)
    await waitFor(() => b.isOwner, 300 + 1000, "b to take over");
    proxy.heal();
    await waitFor(async () => (await backendPids(a.id)).length > 0, 3000, "a to reconnect");
    assert.equal(a.isOwner, false);
    assert.deepEqual(a.changes, [true, false]);
  });

  it("close() of a non-owner releases nothing and does not throw", async () => {
    const key = newKey();
    const a = election(`ca-${randomBytes(3).toString("hex")}`, key, { retryMs: 200 });
    const b = election(`cb-${randomBytes(3).toString("hex")}`, key, { retryMs: 200 });
    await a.start();
    await b.start();
    assert.equal(b.isOwner, false);
    await b.close();
    await b.close();
    assert.deepEqual(b.changes, []);
    assert.equal(a.isOwner, true);
    assert.equal((await a.currentOwner())?.epoch, 1);
    // The lock is still a's: a newcomer cannot take it.
    const c = election(`cc-${randomBytes(3).toString("hex")}`, key, { retryMs: 200 });
    await c.start();
    await sleep(500);
    assert.equal(c.isOwner, false);
    assert.equal(a.isOwner, true);
    assert.deepEqual(a.changes, [true]);
  });
});

/** A TCP proxy to PostgreSQL that can be cut (nothing passes, no closes either, new connections refused) and healed. */
async function cuttableProxy(target: URL) {
  let isCut = false;
  const pairs: { client: Socket; server: Socket }[] = [];
  const proxy = createServer((client) => {
    if (isCut) return void client.destroy();
    const server = connect(Number(target.port || 5432), target.hostname);
    pairs.push({ client, server });
    for (const [from, to] of [[client, server], [server, client]] as const) {
      from.on("data", (d: Buffer) => void (isCut || to.write(d)));
      from.on("close", () => void (isCut || to.destroy()));
      from.on("error", () => undefined);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  assert.ok(address && typeof address === "object");
  return {
    port: address.port,
    cut: () => void (isCut = true),
    heal: () => void (isCut = false),
    dropServerSide: () => pairs.splice(0).forEach((p) => p.server.destroy()),
    close: () => {
      for (const p of pairs.splice(0)) {
        p.client.destroy();
        p.server.destroy();
      }
      return new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
