import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpClient } from "./http-client";
import { parseFanout, parseIdle } from "./options";
import { validateResult } from "./result";
import { runFanout } from "./scenario-fanout";
import { runIdle } from "./scenario-idle";
import { prepareDatabase, startServer } from "./server-process";
import { seedAccounts } from "./seed";

// Tiny end-to-end runs against a real server process; each scenario waits until the server has its routes.
const has = { sync: false, presence: false };

test("seeded users authenticate against a server started as a child process", async () => {
  const db = await prepareDatabase("sqlite");
  const users = await seedAccounts(db.url, 5);
  const server = await startServer({ db, cpuProf: null, label: "smoke" });
  const client = new HttpClient(server.url);
  try {
    for (const u of users) {
      const res = await client.request("GET", "/_matrix/client/v3/account/whoami", { token: u.token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { user_id: u.userId, device_id: u.deviceId, is_guest: false });
    }
    const u = users[0]!;
    has.sync = (await client.request("GET", "/_matrix/client/v3/sync?timeout=0", { token: u.token })).status === 200;
    const put = await client.request("PUT", `/_matrix/client/v3/presence/${encodeURIComponent(u.userId)}/status`, {
      token: u.token,
      body: { presence: "online" },
    });
    has.presence = put.status === 200;
  } finally {
    client.close();
    await server.stop();
    await db.dispose();
  }
  assert.equal(server.pid === process.pid, false);
});

test("idle: a few long-polling users, one second", async (t) => {
  if (!has.sync) return t.skip("the server has no /sync yet");
  const r = await runIdle(parseIdle({ users: "6", roomSize: "3", roomsPerUser: "1", duration: "1", syncTimeout: "300", quietWait: "0" }));
  assert.deepEqual(validateResult(r), []);
  assert.equal(r.syncs?.errors, 0);
  assert.ok((r.syncs?.responses ?? 0) > 0, "long-polls renew after their timeout");
});

test("fanout: 20 users, 2 s, every delivery seen", async (t) => {
  if (!has.sync || !has.presence) return t.skip("the server has no presence yet");
  const r = await runFanout(
    parseFanout({ users: "20", roomSize: "5", roomsPerUser: "2", rate: "10", duration: "2", drain: "3", syncTimeout: "5000", quietWait: "0" }),
    "fanout",
  );
  assert.deepEqual(validateResult(r), []);
  assert.equal(r.put?.ok, 20);
  assert.ok((r.deliveries?.expected ?? 0) >= 20);
  assert.equal(r.deliveries?.lost, 0);
  assert.equal(r.deliveries?.unexpected, 0);
  assert.equal(r.latency_ms?.count, r.deliveries?.expected);
});

