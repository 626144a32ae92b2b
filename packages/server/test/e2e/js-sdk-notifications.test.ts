// matrix-js-sdk 37.5.0 reads Axon's unread_notifications: the badge goes up, and back to 0 after a read receipt.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { MsgType, NotificationCountType, Preset, type MatrixClient } from "matrix-js-sdk";
import { addUser, startLiveServer, waitFor, type LiveServer } from "./harness";
import { loginClient, startSyncing } from "./js-sdk-client";

const PASSWORD = "correct horse battery";

describe("matrix-js-sdk 37.5.0 with unread notification counts", { timeout: 90_000 }, () => {
  let live: LiveServer;
  const clients: MatrixClient[] = [];
  before(async () => {
    live = await startLiveServer();
  });
  after(async () => {
    for (const c of clients) c.stopClient();
    await live.close();
  });

  test("room.getUnreadNotificationCount() counts messages and mentions, and drops to 0 after sendReadReceipt", async () => {
    const aliceId = await addUser(live, "notalice", PASSWORD);
    await addUser(live, "notbob", PASSWORD);
    const alice = await loginClient(live.url, "notalice", PASSWORD);
    const bob = await loginClient(live.url, "notbob", PASSWORD);
    clients.push(alice, bob);
    await Promise.all([startSyncing(alice), startSyncing(bob)]);
    const { room_id: roomId } = await bob.createRoom({ preset: Preset.PublicChat, name: "badges" });
    await alice.joinRoom(roomId);
    const room = () => alice.getRoom(roomId);
    const total = () => room()?.getUnreadNotificationCount(NotificationCountType.Total) ?? 0;
    const highlight = () => room()?.getUnreadNotificationCount(NotificationCountType.Highlight) ?? 0;

    await bob.sendMessage(roomId, { msgtype: MsgType.Text, body: "one" });
    const { event_id: last } = await bob.sendMessage(roomId, { msgtype: MsgType.Text, body: "two, alice", "m.mentions": { user_ids: [aliceId] } });
    await waitFor(() => total() === 2 && highlight() === 1, "Alice's client counts 2 unread, 1 highlight");

    await waitFor(() => room()?.findEventById(last) !== undefined, "Alice's client has the newest event");
    await alice.sendReadReceipt(room()!.findEventById(last)!);
    await waitFor(() => total() === 0 && highlight() === 0, "the counts drop to 0 after the receipt");

    // The server's counts were reset too: one more message makes 1, not 3.
    await bob.sendMessage(roomId, { msgtype: MsgType.Text, body: "three" });
    await waitFor(() => total() === 1, "one new unread message");
    assert.equal(highlight(), 0);
  });
});
