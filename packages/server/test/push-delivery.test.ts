// Push delivery to a real push gateway (node:http on 127.0.0.1): the notify body (full and
// event_id_only), prio and tweaks, retries after 5xx and timeouts, rejected pushkeys, order per
// pusher, a hanging gateway not slowing /send, and the private-address check at delivery.
import assert from "node:assert/strict";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { freshDatabase } from "./databases";
import { assertMatchesSpec, specUnavailable, specValidators, type SchemaCheck } from "./spec-schemas";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
const spec = specUnavailable();
if (spec) console.log(`# ${spec}`);
const notifySchema = async (): Promise<SchemaCheck> => (spec ? () => [] : specValidators().requestValidator("../push-gateway/push_notifier.yaml", "/notify", "post"));
/** Short enough for a quick test, long enough for a loaded machine to answer a local request. */
const TIMEOUT_MS = 1500;
const FAST = { retryBaseMs: 30, retryMaxMs: 200, timeoutMs: TIMEOUT_MS };

interface Notify {
  notification: {
    event_id: string;
    room_id: string;
    type?: string;
    sender?: string;
    sender_display_name?: string;
    room_name?: string;
    content?: Record<string, unknown>;
    prio: string;
    counts: { unread?: number };
    devices: { app_id: string; pushkey: string; pushkey_ts: number; data: Record<string, unknown>; tweaks: Record<string, unknown> }[];
  };
}

type Reply = { status: number; body?: unknown; delayMs?: number } | "hang";

/** A push gateway: records each notify and answers what `reply` says (default 200 {"rejected": []}). */
class Gateway {
  readonly received: { body: Notify; at: number }[] = [];
  reply: (n: number, body: Notify) => Reply = () => ({ status: 200, body: { rejected: [] } });
  private readonly hanging: ServerResponse[] = [];
  private server!: Server;
  url = "";

  async start(): Promise<this> {
    this.server = createHttpServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/_matrix/push/v1/notify`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    assert.equal(req.method, "POST");
    assert.equal(req.url, "/_matrix/push/v1/notify");
    assert.match(String(req.headers["content-type"]), /application\/json/);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Notify;
    this.received.push({ body, at: performance.now() });
    const r = this.reply(this.received.length, body);
    if (r === "hang") {
      this.hanging.push(res);
      return;
    }
    if (r.delayMs) await new Promise((resolve) => setTimeout(resolve, r.delayMs));
    res.writeHead(r.status, { "content-type": "application/json" }).end(JSON.stringify(r.body ?? {}));
  }

  /** Waits until `n` notifications have arrived. */
  async waitFor(n: number, ms = 5000): Promise<Notify[]> {
    const end = performance.now() + ms;
    while (this.received.length < n) {
      if (performance.now() > end) throw new Error(`the gateway got ${this.received.length} notifications, expected ${n}`);
      await sleep(10);
    }
    return this.received.map((r) => r.body);
  }

  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("push delivery to a gateway", () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dm: string;
  let group: string;
  const gateways: Gateway[] = [];
  let txn = 0;

  const gateway = async () => {
    const g = await new Gateway().start();
    gateways.push(g);
    return g;
  };
  const setPusher = (u: TestUser, pushkey: string, data: Record<string, unknown>, appId = "org.example.app") =>
    expectOk(t, "POST", `${V3}/pushers/set`, u, { kind: "http", app_id: appId, pushkey, app_display_name: "Example", device_display_name: "Phone", lang: "en", data });
  const removePusher = (u: TestUser, pushkey: string, appId = "org.example.app") => expectOk(t, "POST", `${V3}/pushers/set`, u, { kind: null, app_id: appId, pushkey });
  const send = async (u: TestUser, roomId: string, content: Record<string, unknown>) =>
    (await expectOk(t, "PUT", `${V3}/rooms/${enc(roomId)}/send/m.room.message/p${++txn}`, u, { msgtype: "m.text", ...content })).event_id as string;
  const readAll = async (u: TestUser, roomId: string, eventId: string) => expectOk(t, "POST", `${V3}/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, u, {});

  before(async () => {
    t = await createTestServer({ push: { allow_private_gateways: true } }, { push: FAST });
    alice = await registerUser(t, "alice");
    bob = await registerUser(t, "bob");
    carol = await registerUser(t, "carol");
    await t.server.deps.accounts.setProfile(bob.userId, { displayname: "Bob" });
    await t.server.deps.accounts.setProfile(alice.userId, { displayname: "Alice" });
    dm = await createRoom(t, bob, { preset: "trusted_private_chat", is_direct: true, invite: [alice.userId], name: "Bob and Alice" });
    await joinRoom(t, dm, alice);
    group = await createRoom(t, carol, { preset: "public_chat" });
    await joinRoom(t, group, alice, bob);
  });
  after(async () => {
    await t.close();
    await Promise.all(gateways.map((g) => g.close()));
  });

  it("a message to another user sends one notify with the event, the counts, the device and its tweaks", async () => {
    const g = await gateway();
    await setPusher(alice, "alice-key", { url: g.url, custom: { token: "abc" } });
    await setPusher(bob, "bob-key", { url: g.url });
    const eventId = await send(bob, dm, { body: "hello there" });
    const [n] = await g.waitFor(1);
    await sleep(100);
    assert.equal(g.received.length, 1, "one notify: the sender's own pusher hears nothing");
    assertMatchesSpec(await notifySchema(), n, "notify body");
    const { devices, ...rest } = n!.notification;
    assert.deepEqual(rest, {
      event_id: eventId,
      room_id: dm,
      type: "m.room.message",
      sender: bob.userId,
      sender_display_name: "Bob",
      room_name: "Bob and Alice",
      content: { msgtype: "m.text", body: "hello there" },
      prio: "low",
      counts: { unread: 1 },
    });
    assert.equal(devices.length, 1);
    assert.deepEqual(devices[0], {
      app_id: "org.example.app",
      pushkey: "alice-key",
      pushkey_ts: Math.floor(t.clock.now() / 1000),
      data: { custom: { token: "abc" } },
      tweaks: { sound: "default" },
    });
    // The badge counts every unread notification of the user, across rooms.
    await send(carol, group, { body: "group chatter" });
    const second = await g.waitFor(3);
    const forAlice = second.filter((b) => b.notification.devices[0]!.pushkey === "alice-key");
    assert.equal(forAlice.at(-1)!.notification.counts.unread, 2);
    await readAll(alice, dm, eventId);
    await readAll(alice, group, forAlice.at(-1)!.notification.event_id);
    await removePusher(alice, "alice-key");
    await removePusher(bob, "bob-key");
  });

  it("format event_id_only sends only the ids, counts, prio and device", async () => {
    const g = await gateway();
    await setPusher(alice, "lean", { url: g.url, format: "event_id_only" });
    const eventId = await send(bob, dm, { body: "secret words" });
    const [n] = await g.waitFor(1);
    assertMatchesSpec(await notifySchema(), n, "event_id_only body");
    assert.deepEqual(Object.keys(n!.notification).sort(), ["counts", "devices", "event_id", "prio", "room_id"]);
    assert.equal(n!.notification.event_id, eventId);
    assert.equal(n!.notification.room_id, dm);
    assert.equal(n!.notification.prio, "low");
    assert.deepEqual(n!.notification.devices[0]!.data, { format: "event_id_only" }, "data is forwarded, format included, url not");
    assert.ok(!JSON.stringify(n).includes("secret words"));
    await readAll(alice, dm, eventId);
    await removePusher(alice, "lean");
  });

  it("a mention arrives with prio high and the highlight tweak", async () => {
    const g = await gateway();
    await setPusher(alice, "mention-key", { url: g.url });
    const eventId = await send(carol, group, { body: "Alice, look at this", "m.mentions": { user_ids: [alice.userId] } });
    const [n] = await g.waitFor(1);
    assert.equal(n!.notification.event_id, eventId);
    assert.equal(n!.notification.prio, "high");
    assert.deepEqual(n!.notification.devices[0]!.tweaks, { sound: "default", highlight: true });
    await readAll(alice, group, eventId);
    await removePusher(alice, "mention-key");
  });

  it("a gateway answering 500 twice gets the notification on the third try, and nothing after", async () => {
    const g = await gateway();
    g.reply = (n) => (n <= 2 ? { status: 500, body: { error: "down" } } : { status: 200, body: { rejected: [] } });
    await setPusher(alice, "flaky", { url: g.url });
    const eventId = await send(bob, dm, { body: "try again" });
    const all = await g.waitFor(3);
    assert.deepEqual(
      all.map((b) => b.notification.event_id),
      [eventId, eventId, eventId],
    );
    await sleep(300);
    assert.equal(g.received.length, 3, "delivered: no further tries");
    // 429 is retried too; another 4xx is dropped without a retry.
    g.reply = (n) => (n === 4 ? { status: 429 } : n === 5 ? { status: 200 } : { status: 400 });
    await send(bob, dm, { body: "limited" });
    await g.waitFor(5);
    await send(bob, dm, { body: "bad request" });
    await g.waitFor(6);
    await sleep(300);
    assert.equal(g.received.length, 6, "the 400 is not retried");
    await readAll(alice, dm, await send(alice, dm, { body: "read" }));
    await removePusher(alice, "flaky");
  });

  it("a rejected pushkey loses its pusher: GET /pushers no longer lists it and nothing more is sent", async () => {
    const g = await gateway();
    g.reply = (_n, body) => ({ status: 200, body: { rejected: body.notification.devices.map((d) => d.pushkey) } });
    await setPusher(alice, "expired", { url: g.url });
    await setPusher(alice, "other-app", { url: g.url }, "org.example.other");
    await send(bob, dm, { body: "first" });
    await g.waitFor(2);
    const deadline = performance.now() + 3000;
    let listed: { pushkey: string }[] = [];
    do {
      await sleep(10);
      listed = (await expectOk(t, "GET", `${V3}/pushers`, alice)).pushers as { pushkey: string }[];
    } while (listed.length > 0 && performance.now() < deadline);
    assert.deepEqual(listed, []);
    await send(bob, dm, { body: "second" });
    await sleep(300);
    assert.equal(g.received.length, 2);
    await readAll(alice, dm, await send(alice, dm, { body: "read" }));
  });

  it("one pusher's notifications go one at a time, in order, while another pusher's proceed", async () => {
    const g = await gateway();
    g.reply = (_n, body) => (body.notification.devices[0]!.pushkey === "slow" ? { status: 200, delayMs: 150 } : { status: 200 });
    await setPusher(alice, "slow", { url: g.url });
    await setPusher(bob, "quick", { url: g.url });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await send(carol, group, { body: `burst ${i}` }));
    await g.waitFor(6);
    const slow = g.received.filter((r) => r.body.notification.devices[0]!.pushkey === "slow");
    assert.deepEqual(
      slow.map((r) => r.body.notification.event_id),
      ids,
      "in order",
    );
    for (let i = 1; i < slow.length; i++) assert.ok(slow[i]!.at - slow[i - 1]!.at >= 140, "the next waits for the answer to the previous");
    const quick = g.received.filter((r) => r.body.notification.devices[0]!.pushkey === "quick");
    assert.ok(quick.at(-1)!.at < slow.at(-1)!.at, "the other pusher is not held up by the slow one");
    await readAll(alice, group, ids.at(-1)!);
    await readAll(bob, group, ids.at(-1)!);
    await removePusher(alice, "slow");
    await removePusher(bob, "quick");
  });

  it("a gateway that never answers does not slow /send or /sync, and is tried again after the timeout", async () => {
    const g = await gateway();
    g.reply = () => "hang";
    await setPusher(alice, "hang", { url: g.url });
    let started = performance.now();
    const eventId = await send(bob, dm, { body: "are you there" });
    const sendMs = performance.now() - started;
    await g.waitFor(1);
    // The gateway now holds a request open; the server goes on answering at its usual pace.
    started = performance.now();
    await send(bob, dm, { body: "still there?" });
    const res = await t.request("GET", `${V3}/sync?timeout=0`, { token: alice.token });
    assert.equal(res.status, 200);
    const whileHanging = performance.now() - started;
    assert.ok(sendMs < TIMEOUT_MS / 2, `/send took ${sendMs.toFixed(0)} ms`);
    assert.ok(whileHanging < TIMEOUT_MS / 2, `/send and /sync took ${whileHanging.toFixed(0)} ms while the gateway hung`);
    const [first, second] = await g.waitFor(2, TIMEOUT_MS * 3);
    assert.equal(second!.notification.event_id, eventId, "tried again, the first notification before the next");
    assert.equal(first!.notification.event_id, eventId);
    await readAll(alice, dm, await send(alice, dm, { body: "read" }));
    await removePusher(alice, "hang");
  });
});

describe("push delivery with push.allow_private_gateways off", () => {
  it("does not call a gateway on a private address, even one set while the switch was on; it logs why", async () => {
    const db = await freshDatabase("sqlite");
    const g = await new Gateway().start();
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    let t = await createTestServer({ push: { allow_private_gateways: true } }, { db, push: FAST });
    try {
      const a = await registerUser(t, "alice");
      const b = await registerUser(t, "bob");
      await expectOk(t, "POST", `${V3}/pushers/set`, a, { kind: "http", app_id: "app", pushkey: "k", app_display_name: "A", device_display_name: "P", lang: "en", data: { url: g.url } });
      const room = await createRoom(t, b, { preset: "trusted_private_chat", is_direct: true, invite: [a.userId] });
      await joinRoom(t, room, a);
      await t.close();
      t = await createTestServer({}, { db, push: FAST, logger: pino({ level: "warn" }, sink) });
      assert.equal(((await expectOk(t, "GET", `${V3}/pushers`, a)).pushers as unknown[]).length, 1, "the pusher is still there");
      await expectOk(t, "PUT", `${V3}/rooms/${enc(room)}/send/m.room.message/x1`, b, { msgtype: "m.text", body: "hi" });
      const end = performance.now() + 3000;
      while (!lines.some((l) => /push not delivered/.test(String(l.msg))) && performance.now() < end) await sleep(10);
      await sleep(100);
      assert.equal(g.received.length, 0, "the gateway was not called");
      const why = lines.find((l) => /push not delivered/.test(String(l.msg)));
      assert.ok(why, "logged");
      assert.match(String(why.reason), /private address/);
    } finally {
      await t.close();
      await g.close();
      await db.cleanup();
    }
  });
});

describe("push delivery limits", () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });

  const setUp = async (push: Record<string, number>) => {
    const t = await createTestServer({ push: { allow_private_gateways: true } }, { push: { ...FAST, ...push }, logger: pino({ level: "info" }, sink) });
    const a = await registerUser(t);
    const b = await registerUser(t);
    const room = await createRoom(t, b, { preset: "trusted_private_chat", is_direct: true, invite: [a.userId] });
    await joinRoom(t, room, a);
    const g = await new Gateway().start();
    await expectOk(t, "POST", `${V3}/pushers/set`, a, { kind: "http", app_id: "app", pushkey: "k", app_display_name: "A", device_display_name: "P", lang: "en", data: { url: g.url } });
    let n = 0;
    const send = async (body: string) => (await expectOk(t, "PUT", `${V3}/rooms/${enc(room)}/send/m.room.message/l${++n}`, b, { msgtype: "m.text", body })).event_id as string;
    return { t, g, send };
  };

  it("a gateway's queue is bounded: past the limit the oldest waiting notification is dropped, with a log line", async () => {
    const { t, g, send } = await setUp({ maxQueuePerGateway: 2 });
    try {
      g.reply = (n) => (n === 1 ? { status: 200, delayMs: 300 } : { status: 200 });
      const ids: string[] = [];
      ids.push(await send("m0"));
      await g.waitFor(1);
      for (let i = 1; i <= 4; i++) ids.push(await send(`m${i}`));
      const got = await g.waitFor(3);
      await sleep(200);
      assert.deepEqual(
        g.received.map((r) => r.body.notification.event_id),
        [ids[0], ids[3], ids[4]],
        "the one in flight, then the two newest",
      );
      assert.equal(got.length, 3);
      assert.equal(lines.filter((l) => /queue full/.test(String(l.msg))).length, 2);
    } finally {
      await t.close();
      await g.close();
    }
  });

  it("gives up after maxAttempts tries, with a log line", async () => {
    const { t, g, send } = await setUp({ maxAttempts: 3 });
    try {
      g.reply = () => ({ status: 503 });
      await send("never");
      await g.waitFor(3);
      await sleep(300);
      assert.equal(g.received.length, 3);
      assert.ok(lines.some((l) => /gave up/.test(String(l.msg))));
    } finally {
      await t.close();
      await g.close();
    }
  });

  it("closing the server aborts a hanging request at once and stops the retries", async () => {
    const { t, g, send } = await setUp({});
    try {
      g.reply = () => "hang";
      await send("hang on");
      await g.waitFor(1);
      const started = performance.now();
      await t.close();
      assert.ok(performance.now() - started < TIMEOUT_MS / 2, "close did not wait for the gateway's timeout");
      await sleep(TIMEOUT_MS + 200);
      assert.equal(g.received.length, 1, "no retry after close");
    } finally {
      await g.close();
    }
  });
});
