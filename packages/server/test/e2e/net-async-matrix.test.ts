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

  test("logs in (GET /login, then POST with the full user id) and long-polls /sync: a message, then busy presence arrive", async () => {
    const alice = await addUser(live, "perlalice", PASSWORD);
    const perlUser = await addUser(live, "perlbob", PASSWORD);
    const aliceToken = await tokenFor(live, alice);
    const bobToken = await tokenFor(live, perlUser);
    const { room_id: roomId } = (await call("POST", "/createRoom", aliceToken, { preset: "private_chat", invite: [perlUser] })) as { room_id: string };
    await call("POST", `/join/${encodeURIComponent(roomId)}`, bobToken, {});

    const host = new URL(live.url).host;
    const client = new ClientProcess(PERL, ["nam_client.pl", host, perlUser, PASSWORD], 60_000);
    try {
      const synced = await client.next((l) => l.step === "synced" || l.ok === false, "the initial sync");
      assert.equal(synced.step, "synced", JSON.stringify(synced));
      assert.equal(synced.user_id, perlUser);
      assert.deepEqual(synced.rooms, [roomId]);
      // The client is now parked in a long-poll; this message must reach it through that.
      await call("PUT", `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/perl1`, aliceToken, { msgtype: "m.text", body: "ping from alice" });
      const message = await client.next((l) => (l.step === "message" && l.body === "ping from alice") || l.ok === false, "the message");
      assert.equal(message.step, "message", JSON.stringify(message));
      assert.equal(message.sender, alice);
      assert.equal(message.room_id, roomId);

      // Presence reaches it through the same long-poll, busy included.
      await call("PUT", `/presence/${encodeURIComponent(alice)}/status`, aliceToken, { presence: "org.matrix.msc3026.busy" });
      const presence = await client.next(
        (l) => (l.step === "presence" && l.user_id === alice && l.presence === "org.matrix.msc3026.busy") || l.ok === false,
        "alice's busy presence",
      );
      assert.equal(presence.step, "presence", JSON.stringify(presence));
    } finally {
      client.kill();
    }
  });
});
