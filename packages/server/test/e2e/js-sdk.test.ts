// matrix-js-sdk 37.5.0 against a real Axon on a real socket.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Direction, EventType, KnownMembership, MsgType, Preset, RoomEvent, type MatrixClient, type MatrixEvent, type Room } from "matrix-js-sdk";
import { addUser, startLiveServer, waitFor, type LiveServer } from "./harness";
import { assertAuditClean, loginClient, startSyncing, waitForEmit } from "./js-sdk-client";
import { SpecAudit } from "./spec-audit";

const PASSWORD = "correct horse battery";

describe("matrix-js-sdk 37.5.0", { timeout: 60_000 }, () => {
  let live: LiveServer;
  before(async () => {
    live = await startLiveServer();
  });
  after(async () => {
    await live.close();
  });

  test("loginWithPassword (legacy `user`, localpart) then whoami", async () => {
    const userId = await addUser(live, "jsalice", PASSWORD);
    const client = await loginClient(live.url, "jsalice", PASSWORD);
    try {
      assert.equal(client.getUserId(), userId);
      assert.ok(client.getAccessToken(), "the SDK kept the access token");
      const deviceId = client.getDeviceId();
      assert.ok(deviceId, "the SDK kept the device id");
      const me = await client.whoami();
      assert.equal(me.user_id, userId);
      assert.equal(me.device_id, deviceId);
    } finally {
      client.stopClient();
    }
  });

  test("loginWithPassword with a full user id; a wrong password is refused", async () => {
    const userId = await addUser(live, "jsbob", PASSWORD);
    const client = await loginClient(live.url, userId, PASSWORD);
    try {
      assert.equal((await client.whoami()).user_id, userId);
    } finally {
      client.stopClient();
    }
    await assert.rejects(loginClient(live.url, userId, "wrong password"), (err: { errcode?: string; httpStatus?: number }) => {
      assert.equal(err.errcode, "M_FORBIDDEN");
      assert.equal(err.httpStatus, 403);
      return true;
    });
  });

  test("startClient reaches SYNCING; A creates a room and invites B; B joins; B sees A's message", async () => {
    const aliceId = await addUser(live, "jsroomalice", PASSWORD);
    const bobId = await addUser(live, "jsroombob", PASSWORD);
    const audit = new SpecAudit();
    const alice = await loginClient(live.url, "jsroomalice", PASSWORD, audit);
    const bob = await loginClient(live.url, bobId, PASSWORD, audit);
    const clients: MatrixClient[] = [alice, bob];
    try {
      await Promise.all(clients.map(startSyncing));

      const { room_id: roomId } = await alice.createRoom({ preset: Preset.PrivateChat, name: "js-sdk room", invite: [bobId] });
      await waitFor(() => bob.getRoom(roomId)?.getMyMembership() === KnownMembership.Invite, "B to see the invite through /sync");

      await bob.joinRoom(roomId);
      await waitFor(() => bob.getRoom(roomId)?.getMyMembership() === KnownMembership.Join, "B's own join to come down /sync");
      await waitFor(() => alice.getRoom(roomId)?.getMember(bobId)?.membership === KnownMembership.Join, "A to see B join");

      const seen = waitForEmit<[MatrixEvent, Room | undefined]>(
        (l) => {
          bob.on(RoomEvent.Timeline, l);
          return () => bob.off(RoomEvent.Timeline, l);
        },
        (event, room) => room?.roomId === roomId && event.getType() === EventType.RoomMessage && event.getContent().body === "hello from js-sdk A",
        "A's message in B's timeline",
      );
      const sent = await alice.sendMessage(roomId, { msgtype: MsgType.Text, body: "hello from js-sdk A" });
      const [event] = await seen;
      assert.equal(event.getSender(), aliceId);
      assert.equal(event.getId(), sent.event_id);
      assert.equal(bob.getRoom(roomId)?.name, "js-sdk room");
      await alice.createMessagesRequest(roomId, null, 10, Direction.Backward);
      await assertAuditClean(audit);
    } finally {
      for (const c of clients) c.stopClient();
    }
  });
});
