// matrix-js-sdk 37.5.0 reads Axon's unread_notifications: the badge goes up, and back to 0 after a read receipt.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MsgType, NotificationCountType, Preset } from "matrix-js-sdk";
import { addUser, waitFor } from "./harness";
import { liveSuite, loginClient, startSyncing } from "./js-sdk-client";

const PASSWORD = "correct horse battery";

describe("matrix-js-sdk 37.5.0 with unread notification counts", { timeout: 90_000 }, () => {
  const suite = liveSuite();

  test("room.getUnreadNotificationCount() counts messages and mentions, and drops to 0 after sendReadReceipt", async () => {
    const aliceId = await addUser(suite.live, "notalice", PASSWORD);
    await addUser(suite.live, "notbob", PASSWORD);
    const alice = await loginClient(suite.live.url, "notalice", PASSWORD);
    const bob = await loginClient(suite.live.url, "notbob", PASSWORD);
    suite.clients.push(alice, bob);
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
