// Encrypted chat through Axon with two and three matrix-js-sdk 37.5.0 clients using its Rust crypto.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Preset, type MatrixClient } from "matrix-js-sdk";
import type { UserId } from "@axon/protocol";
import { addUser, startLiveServer, waitFor, type LiveServer } from "./harness";
import { cryptoClient, decryptedBody, ENCRYPTION_STATE, undecryptable, waitForJoined } from "./js-sdk-crypto";

const PASSWORD = "correct horse battery";

describe("encrypted chat with matrix-js-sdk 37.5.0 Rust crypto", { timeout: 180_000 }, () => {
  let live: LiveServer;
  const clients: MatrixClient[] = [];
  /** Every to-device message's recipients, as the server stored them. */
  const recipients: { type: string; userId: UserId; deviceId: string }[] = [];
  const start = async (user: string) => {
    const c = await cryptoClient(live.url, user, PASSWORD);
    clients.push(c);
    return c;
  };

  before(async () => {
    live = await startLiveServer();
    const toDevice = live.server.deps.e2ee.toDevice;
    const send = toDevice.send.bind(toDevice);
    toDevice.send = (sender, senderDevice, txnId, messages) => {
      for (const m of messages) recipients.push({ type: m.type, userId: m.userId, deviceId: m.deviceId });
      return send(sender, senderDevice, txnId, messages);
    };
  });
  after(async () => {
    for (const c of clients) c.stopClient();
    await live.close();
  });

  test("A and B both decrypt; B's second device decrypts what comes after its login; a deleted device gets no more room keys", async () => {
    const aliceId = await addUser(live, "cryptoalice", PASSWORD);
    const bobId = await addUser(live, "cryptobob", PASSWORD);
    const alice = await start("cryptoalice");
    const bob = await start("cryptobob");
    const { room_id: roomId } = await alice.createRoom({ preset: Preset.PrivateChat, invite: [bobId], initial_state: [ENCRYPTION_STATE] });
    await waitFor(() => !!bob.getRoom(roomId), "bob to see the invite");
    await bob.joinRoom(roomId);
    await waitForJoined(alice, roomId, bobId);
    await waitFor(() => !!bob.getRoom(roomId)?.hasEncryptionStateEvent(), "bob to see the room is encrypted");

    const first = await alice.sendTextMessage(roomId, "hello bob, in secret");
    assert.equal(alice.getRoom(roomId)?.findEventById(first.event_id)?.getWireType(), "m.room.encrypted", "sent encrypted");
    assert.equal(await decryptedBody(bob, roomId, first.event_id), "hello bob, in secret");
    const reply = await bob.sendTextMessage(roomId, "hello alice");
    assert.equal(await decryptedBody(alice, roomId, reply.event_id), "hello alice");
    // The server only ever saw ciphertext.
    const stored = await live.server.deps.rooms.getEvent(aliceId, roomId as never, first.event_id as never);
    assert.equal(stored.type, "m.room.encrypted");
    assert.ok(!JSON.stringify(stored).includes("in secret"));

    // Bob logs in on a second device: Alice hears of it (device list) and shares the next key with it.
    const bob2 = await start("cryptobob");
    await waitFor(() => !!bob2.getRoom(roomId), "bob's second device to see the room");
    await waitForDevice(alice, bobId, bob2.getDeviceId()!, true);
    const second = await alice.sendTextMessage(roomId, "for both of bob's devices");
    assert.equal(await decryptedBody(bob2, roomId, second.event_id), "for both of bob's devices");
    assert.equal(await decryptedBody(bob, roomId, second.event_id), "for both of bob's devices");

    // The second device is deleted: Alice hears of it and sends it no room key any more.
    const gone = bob2.getDeviceId()!;
    bob2.stopClient();
    await bob.deleteDevice(gone, { type: "m.login.password", identifier: { type: "m.id.user", user: bobId }, password: PASSWORD });
    await waitForDevice(alice, bobId, gone, false);
    const before = recipients.length;
    const third = await alice.sendTextMessage(roomId, "not for the deleted device");
    assert.equal(await decryptedBody(bob, roomId, third.event_id), "not for the deleted device");
    const later = recipients.slice(before);
    assert.ok(!later.some((r) => r.deviceId === gone), `no to-device message to ${gone} after its deletion: ${JSON.stringify(later)}`);
    assert.ok(later.some((r) => r.userId === bobId && r.deviceId === bob.getDeviceId()), "the new room key went to bob's remaining device");
  });

  test("a DM created as Element creates it (is_direct, encryption in initial_state), with a third client watching its own room", async () => {
    const daveId = await addUser(live, "cryptodave", PASSWORD);
    const erinId = await addUser(live, "cryptoerin", PASSWORD);
    await addUser(live, "cryptofrank", PASSWORD);
    const dave = await start("cryptodave");
    const erin = await start("cryptoerin");
    const frank = await start("cryptofrank");
    const { room_id: dm } = await dave.createRoom({ preset: Preset.TrustedPrivateChat, is_direct: true, invite: [erinId], initial_state: [ENCRYPTION_STATE] });
    await waitFor(() => !!erin.getRoom(dm), "erin to see the DM invite");
    assert.equal(erin.getRoom(dm)?.getMember(erinId)?.events.member?.getContent().is_direct, true);
    await erin.joinRoom(dm);
    await waitForJoined(dave, dm, erinId);
    const msg = await dave.sendTextMessage(dm, "a direct secret");
    assert.equal(await decryptedBody(erin, dm, msg.event_id), "a direct secret");
    const back = await erin.sendTextMessage(dm, "and back");
    assert.equal(await decryptedBody(dave, dm, back.event_id), "and back");
    // Frank shares no room with them: he is told nothing about the DM and gets no key for it.
    assert.equal(frank.getRoom(dm), null);
    assert.ok(!recipients.some((r) => r.userId === frank.getUserId() && r.type === "m.room.encrypted"), "no olm message to frank");
    // Frank joins a room with both: all three decrypt a message there.
    const { room_id: group } = await frank.createRoom({ preset: Preset.PrivateChat, invite: [daveId, erinId], initial_state: [ENCRYPTION_STATE] });
    for (const c of [dave, erin]) {
      await waitFor(() => !!c.getRoom(group), "the group invite");
      await c.joinRoom(group);
    }
    for (const u of [daveId, erinId]) await waitForJoined(frank, group, u);
    const hi = await frank.sendTextMessage(group, "three of us");
    for (const c of [dave, erin]) assert.equal(await decryptedBody(c, group, hi.event_id), "three of us");
    assert.equal(await undecryptable(frank, group, hi.event_id), false);
  });
});

/** Waits until the client's crypto knows (or no longer knows) the user's device. */
async function waitForDevice(client: MatrixClient, userId: string, deviceId: string, present: boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const devices = await client.getCrypto()!.getUserDeviceInfo([userId], true);
    if ((devices.get(userId)?.has(deviceId) ?? false) === present) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${client.getUserId()} to ${present ? "see" : "forget"} ${userId}/${deviceId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
