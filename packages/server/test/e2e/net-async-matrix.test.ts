// Net::Async::Matrix (Debian libnet-async-matrix-perl) against a real Axon on port 0.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { ClientProcess, PERL, addUser, callApi, startLiveServer, tokenFor, type LiveServer } from "./harness";

const probe = spawnSync(PERL, ["-MNet::Async::Matrix", "-e", "1"]);
const skip = probe.status === 0 ? false : `Net::Async::Matrix is not installed (${PERL}); install libnet-async-matrix-perl (scripts/system-deps.sh)`;
if (skip) console.log(`# ${skip}`);

const PASSWORD = "perl password";

describe("Net::Async::Matrix", { skip, timeout: 90_000 }, () => {
  let live: LiveServer;
  before(async () => {
    live = await startLiveServer();
  });
  after(async () => {
    await live.close();
  });

  async function call(method: string, path: string, token: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await callApi(live, method, path, token, body);
    assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  test("logs in (GET /login, then POST with the full user id) and long-polls /sync until a message arrives", async () => {
    const alice = await addUser(live, "perlalice", PASSWORD);
    const perlUser = await addUser(live, "perlbob", PASSWORD);
    const aliceToken = await tokenFor(live, alice);
    const bobToken = await tokenFor(live, perlUser);
    const { room_id: roomId } = (await call("POST", "/createRoom", aliceToken, { preset: "private_chat", invite: [perlUser] })) as { room_id: string };
    await call("POST", `/join/${encodeURIComponent(roomId)}`, bobToken, {});

    const host = new URL(live.url).host;
    const client = new ClientProcess(PERL, ["nam_client.pl", host, perlUser, PASSWORD, "ping from alice"], 60_000);
    try {
      const synced = await client.next((l) => l.step === "synced" || l.ok === false, "the initial sync");
      assert.equal(synced.step, "synced", JSON.stringify(synced));
      assert.equal(synced.user_id, perlUser);
      assert.deepEqual(synced.rooms, [roomId]);
      // The client is now parked in a long-poll; this message must reach it through that.
      await call("PUT", `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/perl1`, aliceToken, { msgtype: "m.text", body: "ping from alice" });
      const result = await client.next((l) => "ok" in l, "the message");
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(result.sender, alice);
      assert.equal(result.room_id, roomId);
    } finally {
      client.kill();
    }
  });
});
