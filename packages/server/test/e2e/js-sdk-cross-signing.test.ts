// matrix-js-sdk 37.5.0 Rust crypto: bootstrapCrossSigning through Axon, seen by another user.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { addUser } from "./harness";
import { liveSuite } from "./js-sdk-client";
import { verifySigned } from "../../src/e2ee/signing";
import { cryptoClient, waitForJoined } from "./js-sdk-crypto";

const PASSWORD = "correct horse battery";

describe("cross-signing with matrix-js-sdk 37.5.0 Rust crypto", { timeout: 120_000 }, () => {
  const suite = liveSuite();

  test("bootstrapCrossSigning uploads the keys and signs the device; a reset asks for the password; others see the device cross-signed", async () => {
    const aliceId = await addUser(suite.live, "csalice", PASSWORD);
    const bobId = await addUser(suite.live, "csbob", PASSWORD);
    const alice = await cryptoClient(suite.live.url, "csalice", PASSWORD);
    const bob = await cryptoClient(suite.live.url, "csbob", PASSWORD);
    suite.clients.push(alice, bob);
    const { room_id: roomId } = await alice.createRoom({ invite: [bobId] });
    await waitForAsync(() => !!bob.getRoom(roomId), "the invite", async () => {});
    await bob.joinRoom(roomId);
    await waitForJoined(alice, roomId, bobId);
    const password = { type: "m.login.password", identifier: { type: "m.id.user", user: aliceId }, password: PASSWORD };
    let asked = 0;
    await alice.getCrypto()!.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: async (makeRequest) => {
        asked++;
        await makeRequest(password);
      },
    });
    const status = await alice.getCrypto()!.getCrossSigningStatus();
    assert.equal(status.publicKeysOnDevice, true);
    const masterId = await alice.getCrypto()!.getCrossSigningKeyId();
    assert.ok(masterId);
    const seen = await bob.getCrypto()!.getUserDeviceInfo([aliceId], true);
    assert.ok(seen.get(aliceId)?.has(alice.getDeviceId()!));
    // What bob's client downloads: alice's device signed by her self-signing key, that key by her master key.
    type Keys = { keys: Record<string, string>; signatures?: Record<string, Record<string, string>> };
    const q = (await bob.downloadKeysForUsers([aliceId])) as unknown as { device_keys: Record<string, Record<string, Keys>>; master_keys: Record<string, Keys>; self_signing_keys: Record<string, Keys> };
    const [msk] = Object.values(q.master_keys[aliceId]!.keys);
    const [ssk] = Object.values(q.self_signing_keys[aliceId]!.keys);
    assert.equal(msk, masterId);
    assert.ok(verifySigned(q.self_signing_keys[aliceId]!, aliceId, `ed25519:${msk}`, msk!), "self-signing key signed by the master key");
    assert.ok(verifySigned(q.device_keys[aliceId]![alice.getDeviceId()!]!, aliceId, `ed25519:${ssk}`, ssk!), "device signed by the self-signing key");
    const identity = await bob.getCrypto()!.getUserVerificationStatus(aliceId);
    assert.equal(identity.isCrossSigningVerified(), false, "bob has not verified alice");

    // A reset makes a new master key: without the password the server refuses it, with it the key changes.
    await assert.rejects(
      alice.getCrypto()!.bootstrapCrossSigning({ setupNewCrossSigning: true, authUploadDeviceSigningKeys: async (makeRequest) => void (await makeRequest(null)) }),
      (err: { httpStatus?: number }) => err.httpStatus === 401,
    );
    await alice.getCrypto()!.bootstrapCrossSigning({ setupNewCrossSigning: true, authUploadDeviceSigningKeys: async (makeRequest) => void (await makeRequest(password)) });
    const newMaster = await alice.getCrypto()!.getCrossSigningKeyId();
    assert.ok(newMaster && newMaster !== masterId, "a new master key");
    const after = (await bob.downloadKeysForUsers([aliceId])) as unknown as { master_keys: Record<string, Keys> };
    assert.deepEqual(Object.values(after.master_keys[aliceId]!.keys), [newMaster], "the server holds the new master key");
    assert.ok(asked >= 1);
  });
});

/** Polls `check` after running `step`, every 100 ms for up to 30 s. */
async function waitForAsync(check: () => boolean, what: string, step: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await step();
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
