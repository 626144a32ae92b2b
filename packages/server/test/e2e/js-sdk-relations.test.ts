// matrix-js-sdk 37.5.0 with edits, redactions and threads against a real Axon.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EventType, MsgType, Preset, RelationType, THREAD_RELATION_TYPE } from "matrix-js-sdk";
import { addUser, waitFor } from "./harness";
import { liveSuite, loginClient, startSyncing, startSyncingWith } from "./js-sdk-client";

const PASSWORD = "correct horse battery";

describe("matrix-js-sdk 37.5.0 with relations", { timeout: 90_000 }, () => {
  const suite = liveSuite();

  test("an edit and a redaction reach the other client; a thread is seen live and by a client that joins later", async () => {
    await addUser(suite.live, "relalice", PASSWORD);
    await addUser(suite.live, "relbob", PASSWORD);
    await addUser(suite.live, "relcarol", PASSWORD);
    const alice = await loginClient(suite.live.url, "relalice", PASSWORD);
    const bob = await loginClient(suite.live.url, "relbob", PASSWORD);
    suite.clients.push(alice, bob);
    await Promise.all([startSyncing(alice), startSyncingWith(bob, { threadSupport: true })]);
    const { room_id: roomId } = await alice.createRoom({ preset: Preset.PublicChat, name: "relations" });
    await bob.joinRoom(roomId);
    const bobSees = (eventId: string) => bob.getRoom(roomId)?.findEventById(eventId);

    // An edit: Bob's client shows the new content.
    const { event_id: original } = await alice.sendMessage(roomId, { msgtype: MsgType.Text, body: "helo" });
    await waitFor(() => bobSees(original) !== undefined, "Bob sees the message");
    const { event_id: edit } = await alice.sendEvent(roomId, EventType.RoomMessage, {
      msgtype: MsgType.Text,
      body: "* hello",
      "m.new_content": { msgtype: MsgType.Text, body: "hello" },
      "m.relates_to": { rel_type: RelationType.Replace, event_id: original },
    });
    await waitFor(() => bobSees(original)?.replacingEventId() === edit, "Bob's client applies the edit");
    assert.equal(bobSees(original)?.getContent().body, "hello");
    const fetched = await bob.fetchRoomEvent(roomId, original);
    assert.equal((fetched.unsigned?.["m.relations"] as Record<string, { event_id: string }> | undefined)?.["m.replace"]?.event_id, edit);

    // A redaction: gone on Bob's side, and from the server for good.
    const { event_id: secret } = await alice.sendMessage(roomId, { msgtype: MsgType.Text, body: "oops, a secret" });
    await waitFor(() => bobSees(secret) !== undefined, "Bob sees the secret");
    await alice.redactEvent(roomId, secret, undefined, { reason: "posted by mistake" });
    await waitFor(() => bobSees(secret)?.isRedacted() === true, "Bob's client redacts it");
    assert.deepEqual(bobSees(secret)?.getContent(), {});
    const again = await bob.fetchRoomEvent(roomId, secret);
    assert.deepEqual(again.content, {});
    assert.ok(again.unsigned?.redacted_because);

    // A thread: Alice replies in a thread; Bob's client (thread support on) files the reply under the root.
    // (Alice's client runs without thread support: matrix-js-sdk 37.5.0 with thread support fails its own
    // send when the /sync echo of a thread reply arrives before the /send answer, which a fast server makes likely.)
    const { event_id: root } = await alice.sendMessage(roomId, { msgtype: MsgType.Text, body: "thread root" });
    await waitFor(() => bobSees(root) !== undefined, "Bob sees the root");
    const { event_id: reply } = await alice.sendMessage(roomId, root, { msgtype: MsgType.Text, body: "in the thread" });
    await waitFor(() => bob.getRoom(roomId)?.getThread(root)?.findEventById(reply) !== undefined, "Bob's client files the reply in the thread");

    // Carol joins later: her client learns the thread from the server (bundled summary, /threads, /relations).
    const carol = await loginClient(suite.live.url, "relcarol", PASSWORD);
    suite.clients.push(carol);
    await startSyncingWith(carol, { threadSupport: true });
    await carol.joinRoom(roomId);
    await waitFor(() => carol.getRoom(roomId) !== null, "Carol has the room");
    const carolRoom = carol.getRoom(roomId)!;
    await carolRoom.fetchRoomThreads();
    await waitFor(() => carolRoom.getThread(root) !== null, "Carol's client knows the thread");
    const thread = carolRoom.getThread(root)!;
    await waitFor(() => thread.length === 1 && thread.replyToEvent?.getId() === reply, "Carol's thread summary (count and latest reply)");
    await carol.paginateEventTimeline(thread.liveTimeline, { backwards: true });
    await waitFor(() => thread.findEventById(reply) !== undefined, "Carol's client loads the thread's reply");
    assert.equal(thread.findEventById(reply)?.threadRootId, root);
    assert.equal(THREAD_RELATION_TYPE.name, "m.thread");
  });
});
