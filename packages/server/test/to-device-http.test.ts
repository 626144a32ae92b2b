// PUT /sendToDevice and to_device in /sync: stored before the answer, at-least-once, idempotent.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { withE2eeTables } from "../src/storage/e2ee-schema";
import { postgresUnavailable } from "./databases";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createTestServer, expectOk, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const pgSkip = await postgresUnavailable();
if (pgSkip) console.log(`# skipping PostgreSQL store tests: ${pgSkip}`);

async function sync(t: TestServer, u: TestUser, since?: string, timeout = 0) {
  return expectOk(t, "GET", `${V3}/sync?timeout=${timeout}${since ? `&since=${encodeURIComponent(since)}` : ""}`, u);
}

const send = (t: TestServer, u: TestUser, txn: string, messages: unknown, type = "m.room_key_request") =>
  t.request("PUT", `${V3}/sendToDevice/${type}/${txn}`, { token: u.token, body: { messages } });

for (const database of ["sqlite", "postgres"] as const) {
  describe(`to-device messages (${database})`, { skip: database === "postgres" ? (pgSkip ?? false) : false }, () => {
    const servers: TestServer[] = [];
    after(() => Promise.all(servers.map((t) => t.close())));
    const server = async () => {
      const t = await createTestServer({}, { database });
      servers.push(t);
      return t;
    };

    test("delivered to the device, again after a lost /sync answer, never after the device moved on", async () => {
      const t = await server();
      const a = await registerUser(t);
      const b = await registerUser(t);
      const s0 = await sync(t, b);
      const res = await send(t, a, "t1", { [b.userId]: { [b.deviceId]: { n: 1 } } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {});
      if (!specUnavailable()) assertMatchesSpec(await specValidators().responseValidator("to_device.yaml", "/sendToDevice/{eventType}/{txnId}", "put", 200), res.body, "sendToDevice");
      const s1 = await sync(t, b, s0.next_batch);
      assert.deepEqual(s1.to_device.events, [{ sender: a.userId, type: "m.room_key_request", content: { n: 1 } }]);
      // The answer was lost: the same since gets it again.
      const again = await sync(t, b, s0.next_batch);
      assert.deepEqual(again.to_device.events, s1.to_device.events);
      // The device moved on: gone, also for the old token after that.
      const s2 = await sync(t, b, s1.next_batch);
      assert.equal(s2.to_device, undefined);
      assert.equal((await sync(t, b, s1.next_batch)).to_device, undefined);
      // The same transaction id again stores nothing; another one does.
      assert.equal((await send(t, a, "t1", { [b.userId]: { [b.deviceId]: { n: 1 } } })).status, 200);
      assert.equal((await sync(t, b, s2.next_batch)).to_device, undefined);
      await send(t, a, "t2", { [b.userId]: { [b.deviceId]: { n: 2 } } });
      assert.deepEqual((await sync(t, b, s2.next_batch)).to_device.events.map((e: { content: unknown }) => e.content), [{ n: 2 }]);
      if (!specUnavailable()) assertMatchesSpec(await specValidators().responseValidator("sync.yaml", "/sync", "get", 200), s1, "sync with to_device");
    });

    test("`*` reaches every device of the user; an initial sync gets what is pending; other devices get nothing", async () => {
      const t = await server();
      const a = await registerUser(t);
      const b = await registerUser(t);
      const b2s = await t.server.deps.accounts.startSession(b.userId, null, null);
      const b2: TestUser = { userId: b.userId, token: b2s.accessToken, deviceId: b2s.deviceId };
      const a0 = await sync(t, a);
      await send(t, a, "star", { [b.userId]: { "*": { all: true } } });
      for (const dev of [b, b2]) assert.deepEqual((await sync(t, dev)).to_device.events[0].content, { all: true });
      await send(t, a, "one", { [b.userId]: { [b2.deviceId]: { only: 2 }, UNKNOWN: { x: 1 } } });
      const b1 = await sync(t, b);
      assert.deepEqual(b1.to_device.events.map((e: { content: unknown }) => e.content), [{ all: true }]);
      const b2sync = await sync(t, b2);
      assert.deepEqual(b2sync.to_device.events.map((e: { content: unknown }) => e.content), [{ all: true }, { only: 2 }]);
      assert.equal((await sync(t, a, a0.next_batch)).to_device, undefined);
    });

    test("a long-poll wakes for a message; a deleted device's messages go", async () => {
      const t = await server();
      const a = await registerUser(t);
      const b = await registerUser(t);
      const s0 = await sync(t, b);
      const started = Date.now();
      const poll = sync(t, b, s0.next_batch, 10_000);
      await new Promise((r) => setTimeout(r, 100));
      await send(t, a, "wake", { [b.userId]: { [b.deviceId]: { hi: 1 } } });
      const s1 = await poll;
      assert.ok(Date.now() - started < 5000, "woken, not timed out");
      assert.deepEqual(s1.to_device.events[0].content, { hi: 1 });
      await send(t, a, "pending", { [b.userId]: { [b.deviceId]: { later: 1 } } });
      const db = withE2eeTables(t.server.database.db);
      const pending = () => db.selectFrom("to_device_messages").select("stream_id").where("user_id", "=", b.userId).where("device_id", "=", b.deviceId).execute();
      assert.equal((await pending()).length, 2, "the delivered one is not yet acknowledged; the new one waits");
      await t.server.deps.accounts.deleteDevice(b.userId, b.deviceId as never);
      assert.equal((await pending()).length, 0);
    });

    test("bad requests: Matrix errors, nothing stored", async () => {
      const t = await server();
      const a = await registerUser(t);
      const b = await registerUser(t);
      const s0 = await sync(t, b);
      for (const [what, body, errcode] of [
        ["no messages", {}, "M_MISSING_PARAM"],
        ["messages not an object", { messages: [] }, "M_BAD_JSON"],
        ["content not an object", { messages: { [b.userId]: { [b.deviceId]: "x" } } }, "M_BAD_JSON"],
        ["not a user id", { messages: { bob: { D: {} } } }, "M_INVALID_PARAM"],
      ] as const) {
        const res = await t.request("PUT", `${V3}/sendToDevice/m.x/${what.replace(/ /g, "")}`, { token: a.token, body });
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.errcode, errcode, what);
      }
      assert.equal((await t.request("PUT", `${V3}/sendToDevice/m.x/t`, { token: a.token, rawBody: "nope" })).body.errcode, "M_NOT_JSON");
      assert.equal((await t.request("PUT", `${V3}/sendToDevice/m.x/t`, { body: { messages: {} } })).status, 401);
      assert.equal((await sync(t, b, s0.next_batch)).to_device, undefined);
    });
  });
}
