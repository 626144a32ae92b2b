// Several real Axon processes on one PostgreSQL, woken through Redis (issue 14): every rule of
// docs/cluster.md checked from the outside, over HTTP, including kill -9 of the owner.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { postgresUnavailable } from "../databases";
import { call, register, startCluster, type AxonProcess, type Cluster } from "./cluster-harness";
import { redisUnavailable } from "./redis";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
const BUSY = "org.matrix.msc3026.busy";

const why = (await postgresUnavailable()) ?? (await redisUnavailable());
if (why && process.env.CI) throw new Error(`cluster tests need PostgreSQL and Redis in CI: ${why}`);
const skip = why ? `skipped: ${why}` : false;
if (skip) console.log(`# cluster tests ${skip}`);

type Sync = { next_batch: string; rooms?: { join?: Record<string, { timeline?: { events: { event_id: string; content: { body?: string } }[] } }> }; presence?: { events: { sender: string; content: { presence: string } }[] } };

describe("three Axon processes on one PostgreSQL and Redis", { skip }, () => {
  let c: Cluster;
  let p1: AxonProcess;
  let p2: AxonProcess;
  let p3: AxonProcess;
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };
  let carol: { userId: string; token: string };
  let room: string;
  let txn = 0;

  const sync = async (p: AxonProcess, u: { token: string }, since?: string, timeout = 0, extra = "") => {
    const r = await call(p.url, "GET", `${V3}/sync?timeout=${timeout}${since ? `&since=${enc(since)}` : ""}${extra}`, u.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as unknown as Sync;
  };
  /** Long-polls until `pred` holds for a response; returns it and how long it took from `t0`. */
  const until = async (p: AxonProcess, u: { token: string }, since: string, pred: (s: Sync) => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    let s = since;
    for (;;) {
      const res = await sync(p, u, s, Math.max(0, end - Date.now()));
      if (pred(res)) return res;
      if (Date.now() >= end) assert.fail(`not seen within ${ms} ms on ${p.url}`);
      s = res.next_batch;
    }
  };
  const send = (p: AxonProcess, u: { token: string }, body: string, id = `t${++txn}`) =>
    call(p.url, "PUT", `${V3}/rooms/${enc(room)}/send/m.room.message/${id}`, u.token, { msgtype: "m.text", body });
  const hasBody = (body: string) => (s: Sync) => s.rooms?.join?.[room]?.timeline?.events.some((e) => e.content.body === body) ?? false;
  const hasPresence = (user: string, state: string) => (s: Sync) => s.presence?.events.some((e) => e.sender === user && e.content.presence === state) ?? false;

  before(async () => {
    c = await startCluster();
    p1 = await c.start();
    await c.waitForOwner();
    p2 = await c.start();
    p3 = await c.start();
    alice = await register(p2.url, "alice");
    bob = await register(p3.url, "bob");
    carol = await register(p1.url, "carol");
    const r = await call(p2.url, "POST", `${V3}/createRoom`, alice.token, { preset: "public_chat" });
    room = r.body.room_id as string;
    for (const [p, u] of [[p3, bob], [p1, carol]] as const) assert.equal((await call(p.url, "POST", `${V3}/join/${enc(room)}`, u.token, {})).status, 200);
  });
  after(async () => {
    await c?.close();
  });

  it("one process is the owner, recorded in the database", async () => {
    assert.equal(await c.ownerUrl(), p1.url);
  });

  it("a user registered through one process is known on every other at once", async () => {
    const dave = await register(p3.url, "dave");
    for (const p of [p1, p2, p3]) {
      const r = await call(p.url, "GET", `${V3}/account/whoami`, dave.token);
      assert.equal(r.status, 200, `${p.url}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.user_id, dave.userId);
    }
  });

  it("a message sent through one process wakes long-polls on every other within milliseconds; tokens work anywhere", async () => {
    const b0 = await sync(p2, bob);
    const c0 = await sync(p3, carol);
    const t0 = Date.now();
    const woke: Record<string, number> = {};
    const bobPoll = until(p2, bob, b0.next_batch, hasBody("wake up")).then((s) => ((woke.p2 = Date.now() - t0), s));
    const carolPoll = until(p3, carol, c0.next_batch, hasBody("wake up")).then((s) => ((woke.p3 = Date.now() - t0), s));
    await new Promise((r) => setTimeout(r, 300));
    const sentAt = Date.now();
    assert.equal((await send(p1, alice, "wake up")).status, 200);
    const [b1] = await Promise.all([bobPoll, carolPoll]);
    console.log(`# message through the owner woke long-polls on two followers after ${woke.p2! - (sentAt - t0)} and ${woke.p3! - (sentAt - t0)} ms`);
    assert.ok(woke.p2! - (sentAt - t0) < 1000 && woke.p3! - (sentAt - t0) < 1000);
    // A token from p2 on p1 and p3: nothing again, no error.
    for (const p of [p1, p3]) {
      const again = await sync(p, bob, b1.next_batch);
      assert.equal(hasBody("wake up")(again), false, `no repeat on ${p.url}`);
    }
  });

  it("a message sent through a follower reaches the sender's next sync on that follower (read your writes)", async () => {
    const s0 = await sync(p3, bob);
    assert.equal((await send(p3, bob, "mine")).status, 200);
    assert.ok(hasBody("mine")(await sync(p3, bob, s0.next_batch)));
  });

  it("a transaction id sent through two processes makes one event", async () => {
    const a = await send(p2, alice, "once", "same-txn");
    const b = await send(p3, alice, "once", "same-txn");
    const o = await send(p1, alice, "once", "same-txn");
    assert.equal(a.status, 200);
    assert.equal(a.body.event_id, b.body.event_id);
    assert.equal(a.body.event_id, o.body.event_id);
  });

  it("a busy PUT through a follower is answered once durable and wakes watchers on every process", async () => {
    const b0 = await sync(p1, bob);
    const c0 = await sync(p2, carol);
    const polls = [until(p1, bob, b0.next_batch, hasPresence(alice.userId, BUSY)), until(p2, carol, c0.next_batch, hasPresence(alice.userId, BUSY))];
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await call(p3.url, "PUT", `${V3}/presence/${enc(alice.userId)}/status`, alice.token, { presence: BUSY, status_msg: "focus" })).status, 200);
    await Promise.all(polls);
    for (const p of [p1, p2, p3]) {
      const r = await call(p.url, "GET", `${V3}/presence/${enc(alice.userId)}/status`, bob.token);
      assert.equal(r.body.presence, BUSY, p.url);
    }
  });

  it("a user syncing through one process is online to watchers on another", async () => {
    // Erin has never synced: she is offline until her device long-polls on p3, a follower.
    const erin = await register(p1.url, "erin");
    assert.equal((await call(p1.url, "POST", `${V3}/join/${enc(room)}`, erin.token, {})).status, 200);
    const c0 = await sync(p2, carol);
    const watch = until(p2, carol, c0.next_batch, hasPresence(erin.userId, "online"));
    const s0 = await sync(p3, erin, undefined, 0, "&set_presence=online");
    const erinPoll = sync(p3, erin, s0.next_batch, 3000, "&set_presence=online");
    await watch;
    await erinPoll;
  });

  it("a logout through one process refuses the token on every other at once", async () => {
    const login = await call(p1.url, "POST", `${V3}/login`, undefined, { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "correct horse battery" });
    const token = login.body.access_token as string;
    // Every process has it cached.
    for (const p of [p1, p2, p3]) assert.equal((await call(p.url, "GET", `${V3}/sync?timeout=0`, token)).status, 200);
    assert.equal((await call(p2.url, "POST", `${V3}/logout`, token, {})).status, 200);
    for (const p of [p1, p2, p3]) {
      const r = await call(p.url, "GET", `${V3}/sync?timeout=0`, token);
      assert.equal(r.status, 401, p.url);
      assert.equal(r.body.errcode, "M_UNKNOWN_TOKEN");
    }
  });

  it("kill -9 of the owner loses no acknowledged write, and another process takes over within seconds", async () => {
    const acknowledged: string[] = [];
    let stop = false;
    // Writers through both followers, while the owner dies under them.
    const writer = async (p: AxonProcess, tag: string) => {
      for (let i = 0; !stop; i++) {
        const r = await send(p, alice, `${tag}-${i}`).catch(() => null);
        if (r?.status === 200) acknowledged.push(r.body.event_id as string);
        else await new Promise((res) => setTimeout(res, 50));
      }
    };
    const writers = [writer(p2, "two"), writer(p3, "three")];
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    await c.kill(p1);
    const owner = await c.waitForOwner(p1.url);
    // Presence flows again: a PUT through a survivor reaches a watcher on the other.
    const other = owner === p2.url ? p3 : p2;
    const ownerProc = owner === p2.url ? p2 : p3;
    const c0 = await sync(other, carol);
    const seen = until(other, carol, c0.next_batch, hasPresence(alice.userId, "online"), 20_000);
    for (;;) {
      const r = await call(other.url, "PUT", `${V3}/presence/${enc(alice.userId)}/status`, alice.token, { presence: "online" });
      if (r.status === 200) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    await seen;
    const flowing = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await Promise.all(writers);
    console.log(`# kill -9 of the owner: presence flowed again after ${flowing} ms; ${acknowledged.length} sends acknowledged`);
    assert.ok(acknowledged.length > 5);
    // Every acknowledged event is there, read through each survivor.
    for (const p of [ownerProc, other]) {
      const found = new Set<string>();
      let from: string | undefined;
      for (let page = 0; page < 50; page++) {
        const r = await call(p.url, "GET", `${V3}/rooms/${enc(room)}/messages?dir=b&limit=100${from ? `&from=${enc(from)}` : ""}`, bob.token);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        for (const e of r.body.chunk as { event_id: string }[]) found.add(e.event_id);
        from = r.body.end as string | undefined;
        if (!from) break;
      }
      const lost = acknowledged.filter((id) => !found.has(id));
      assert.deepEqual(lost, [], `acknowledged but missing on ${p.url}`);
    }
  });
});
