// matrix-js-sdk 37.5.0 Rust crypto: server-side key backup through Axon, restored on a new device.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { addUser, waitFor } from "./harness";
import { liveSuite } from "./js-sdk-client";
import { cryptoClient, decryptedBody, ENCRYPTION_STATE, undecryptable } from "./js-sdk-crypto";

const PASSWORD = "correct horse battery";

describe("key backup with matrix-js-sdk 37.5.0 Rust crypto", { timeout: 120_000 }, () => {
  const suite = liveSuite();

  test("resetKeyBackup backs the room key up; a new device restores it and decrypts an older message", async () => {
    const aliceId = await addUser(suite.live, "kbalice", PASSWORD);
    const alice = await cryptoClient(suite.live.url, "kbalice", PASSWORD);
    suite.clients.push(alice);
    await alice.getCrypto()!.resetKeyBackup();
    // What the client reads back from GET /room_keys/version: the version, trusted (signed by this device).
    const check = await alice.getCrypto()!.checkKeyBackupAndEnable();
    assert.equal(check?.trustInfo.trusted, true);
    const version = await alice.getCrypto()!.getActiveSessionBackupVersion();
    assert.ok(version, "a backup version is active");
    const { room_id: roomId } = await alice.createRoom({ initial_state: [ENCRYPTION_STATE] });
    await waitFor(() => !!alice.getRoom(roomId)?.hasEncryptionStateEvent(), "the room to be encrypted");
    const sent = await alice.sendTextMessage(roomId, "kept in the backup");
    const backup = suite.live.server.deps.e2ee.keyBackup;
    const deadline = Date.now() + 30_000;
    while (((await backup.info(aliceId, null)).count as number) < 1) {
      if (Date.now() > deadline) throw new Error("the room key never reached the backup");
      await new Promise((r) => setTimeout(r, 200));
    }
    const key = await alice.getCrypto()!.getSessionBackupPrivateKey();
    assert.ok(key);

    const alice2 = await cryptoClient(suite.live.url, "kbalice", PASSWORD);
    suite.clients.push(alice2);
    await waitFor(() => !!alice2.getRoom(roomId), "the new device to see the room");
    assert.equal(await undecryptable(alice2, roomId, sent.event_id), true, "the new device has no key yet");
    await alice2.getCrypto()!.storeSessionBackupPrivateKey(key, version);
    const restored = await alice2.getCrypto()!.restoreKeyBackup();
    assert.ok(restored.imported >= 1, `imported ${restored.imported} of ${restored.total}`);
    assert.equal(await decryptedBody(alice2, roomId, sent.event_id), "kept in the backup");
  });
});
