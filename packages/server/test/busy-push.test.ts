// Busy holds the noise, end to end: a real HTTP server on 127.0.0.1 stands in for the push gateway.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { freshDatabase, testDatabases, type TestDatabase } from "./databases";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
const BUSY = "org.matrix.msc3026.busy";
let txn = 0;

interface Pushed {
  event_id: string;
  room_id: string;
  type: string;
  prio: string;
  counts: { unread: number };
}

/** A push gateway that records each notification and accepts it. */
async function fakeGateway(): Promise<{ url: string; pushed: Pushed[]; close(): Promise<void> }> {
  const pushed: Pushed[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      pushed.push((JSON.parse(body) as { notification: Pushed }).notification);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ rejected: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/_matrix/push/v1/notify`, pushed, close: () => new Promise((r) => server.close(() => r())) };
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

for (const { name, skip } of await testDatabases()) {
  describe(`busy holds pushes on ${name}`, { skip }, () => {
    let db: TestDatabase;
    let t: TestServer;
    let gw: Awaited<ReturnType<typeof fakeGateway>>;
    let alice: TestUser;
    let bob: TestUser;
    let room: string;

    const send = async (content: Record<string, unknown>, type = "m.room.message") =>
      (await expectOk(t, "PUT", `${V3}/rooms/${enc(room)}/send/${type}/b${++txn}`, bob, content)).event_id as string;
    const presence = (state: string) => expectOk(t, "PUT", `${V3}/presence/${enc(alice.userId)}/status`, alice, { presence: state });
    const choose = (hold: string) => expectOk(t, "PUT", `${V3}/user/${enc(alice.userId)}/account_data/io.axon.busy_push`, alice, { hold });
    const count = async () => {
      const res = await t.request("GET", `${V3}/sync`, { token: alice.token });
      const join = (res.body as { rooms: { join: Record<string, { unread_notifications: { notification_count: number; highlight_count: number } }> } }).rooms.join;
      return join[room]!.unread_notifications;
    };
    /** Sends `marker` (which must push) and returns what reached the gateway since `from`, the marker included. */
    const pushedThrough = async (from: number, markerId: string) => {
      await until("the marker's push", () => gw.pushed.some((p) => p.event_id === markerId));
      await sleep(100); // anything sent before the marker had every chance to arrive
      return gw.pushed.slice(from).map((p) => p.event_id);
    };

    before(async () => {
      db = await freshDatabase(name);
      gw = await fakeGateway();
      t = await createTestServer({ push: { allow_private_gateways: true } }, { db });
      alice = await registerUser(t, "alice");
      bob = await registerUser(t, "bob");
      await t.server.deps.accounts.setProfile(alice.userId, { displayname: "Alice" });
      room = await createRoom(t, bob, { preset: "public_chat" });
      await joinRoom(t, room, alice);
      await expectOk(t, "POST", `${V3}/pushers/set`, alice, {
        kind: "http",
        app_id: "org.example.app",
        pushkey: "alice-phone",
        app_display_name: "Example",
        device_display_name: "Phone",
        lang: "en",
        data: { url: gw.url },
      });
    });
    after(async () => {
      await t.close();
      await gw.close();
      await db.cleanup();
    });

    it("online: an ordinary message is pushed", async () => {
      await presence("online");
      const id = await send({ msgtype: "m.text", body: "lunch?" });
      await until("the push", () => gw.pushed.some((p) => p.event_id === id));
    });

    it("busy: an ordinary message is held, a mention still rings, and the counts keep everything", async () => {
      await presence(BUSY);
      const before = (await count()).notification_count;
      const from = gw.pushed.length;
      const held1 = await send({ msgtype: "m.text", body: "anyone around?" });
      const held2 = await send({ msgtype: "m.text", body: "still there?" });
      const mention = await send({ msgtype: "m.text", body: "Alice, the build is red", "m.mentions": { user_ids: [alice.userId] } });
      const got = await pushedThrough(from, mention);
      assert.deepEqual(got, [mention], "only the mention reached the gateway");
      assert.ok(!got.includes(held1) && !got.includes(held2));
      const p = gw.pushed.find((x) => x.event_id === mention)!;
      assert.equal(p.prio, "high");
      assert.equal(p.counts.unread, before + 3, "the push's count includes the held messages");
      assert.deepEqual(await count(), { notification_count: before + 3, highlight_count: 1 });
    });

    it("busy: a call invite rings", async () => {
      const from = gw.pushed.length;
      const call = await send({ call_id: "c1", lifetime: 60000, version: "1", offer: { type: "offer", sdp: "v=0" } }, "m.call.invite");
      assert.deepEqual(await pushedThrough(from, call), [call]);
    });

    it("after busy ends, no flood of held pushes follows, and the next message is pushed", async () => {
      await presence("online");
      const from = gw.pushed.length;
      const next = await send({ msgtype: "m.text", body: "back?" });
      assert.deepEqual(await pushedThrough(from, next), [next]);
    });

    it('"hold": "all" holds a mention too; "none" holds nothing', async () => {
      await choose("all");
      await presence(BUSY);
      let from = gw.pushed.length;
      await send({ msgtype: "m.text", body: "Alice?", "m.mentions": { user_ids: [alice.userId] } });
      await choose("none");
      const plain = await send({ msgtype: "m.text", body: "fyi" });
      assert.deepEqual(await pushedThrough(from, plain), [plain]);
      await choose("ordinary");
      from = gw.pushed.length;
      await send({ msgtype: "m.text", body: "held again" });
      const mention = await send({ msgtype: "m.text", body: "Alice!", "m.mentions": { user_ids: [alice.userId] } });
      assert.deepEqual(await pushedThrough(from, mention), [mention]);
    });

    it("a bad choice is refused with M_INVALID_PARAM and changes nothing", async () => {
      for (const body of [{ hold: "sometimes" }, { hold: 3 }, {}]) {
        const res = await t.request("PUT", `${V3}/user/${enc(alice.userId)}/account_data/io.axon.busy_push`, { token: alice.token, body });
        assert.equal(res.status, 400);
        assert.equal((res.body as { errcode: string }).errcode, "M_INVALID_PARAM");
      }
      const stored = await expectOk(t, "GET", `${V3}/user/${enc(alice.userId)}/account_data/io.axon.busy_push`, alice);
      assert.deepEqual(stored, { hold: "ordinary" });
    });
  });
}

describe("presence.busy_holds_push: false", () => {
  it("pushes ordinary messages to a busy user", async () => {
    const gw = await fakeGateway();
    const t = await createTestServer({ push: { allow_private_gateways: true }, presence: { busy_holds_push: false } });
    try {
      const alice = await registerUser(t, "alice");
      const bob = await registerUser(t, "bob");
      const room = await createRoom(t, bob, { preset: "public_chat" });
      await joinRoom(t, room, alice);
      await expectOk(t, "POST", `${V3}/pushers/set`, alice, { kind: "http", app_id: "a", pushkey: "k", app_display_name: "A", device_display_name: "D", lang: "en", data: { url: gw.url } });
      await expectOk(t, "PUT", `${V3}/presence/${enc(alice.userId)}/status`, alice, { presence: BUSY });
      const id = (await expectOk(t, "PUT", `${V3}/rooms/${enc(room)}/send/m.room.message/x1`, bob, { msgtype: "m.text", body: "hi" })).event_id as string;
      await until("the push", () => gw.pushed.some((p) => p.event_id === id));
    } finally {
      await t.close();
      await gw.close();
    }
  });
});
