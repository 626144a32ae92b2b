// POST /keys/device_signing/upload and /keys/signatures/upload, and what /keys/query then shows.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { testDevice, testSigner, type TestSigner } from "./e2ee-support";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createTestServer, expectOk, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const servers: TestServer[] = [];
after(() => Promise.all(servers.map((t) => t.close())));

function csKey(user: TestUser, usage: string, s: TestSigner, signer?: TestSigner) {
  const key = { user_id: user.userId, usage: [usage], keys: { [`ed25519:${s.pub}`]: s.pub } };
  return signer ? signer.sign(key, user.userId, `ed25519:${signer.pub}`) : key;
}

test("cross-signing keys: first upload without a password, replacing the master key with one; signatures show in /keys/query", async () => {
  const t = await createTestServer();
  servers.push(t);
  const a = await registerUser(t, "csalice", "pw");
  const b = await registerUser(t, "csbob", "pw");
  const dev = testDevice(a);
  await expectOk(t, "POST", `${V3}/keys/upload`, a, { device_keys: dev.deviceKeys() });
  const [master, ssk, usk] = [testSigner(), testSigner(), testSigner()];
  const keys = { master_key: csKey(a, "master", master), self_signing_key: csKey(a, "self_signing", ssk, master), user_signing_key: csKey(a, "user_signing", usk, master) };
  // Bad uploads: 400, nothing stored.
  for (const [what, body, errcode] of [
    ["ssk not signed by the master", { ...keys, self_signing_key: csKey(a, "self_signing", ssk) }, "M_INVALID_PARAM"],
    ["someone else's master", { master_key: csKey(b, "master", master) }, "M_INVALID_PARAM"],
    ["wrong usage", { master_key: csKey(a, "user_signing", master) }, "M_INVALID_PARAM"],
    ["ssk without any master", { self_signing_key: csKey(a, "self_signing", ssk, master) }, "M_INVALID_PARAM"],
    ["not an object", { master_key: "x" }, "M_BAD_JSON"],
  ] as const) {
    const res = await t.request("POST", `${V3}/keys/device_signing/upload`, { token: a.token, body });
    assert.equal(res.status, 400, what);
    assert.equal(res.body.errcode, errcode, what);
  }
  const none = await expectOk(t, "POST", `${V3}/keys/query`, a, { device_keys: { [a.userId]: [] } });
  assert.equal(none.master_keys, undefined);
  assert.deepEqual(await expectOk(t, "POST", `${V3}/keys/device_signing/upload`, a, keys), {});
  const self = await expectOk(t, "POST", `${V3}/keys/query`, a, { device_keys: { [a.userId]: [] } });
  assert.deepEqual(self.master_keys[a.userId].keys, keys.master_key.keys);
  assert.deepEqual(self.user_signing_keys[a.userId].keys, keys.user_signing_key.keys);
  const other = await expectOk(t, "POST", `${V3}/keys/query`, b, { device_keys: { [a.userId]: [] } });
  assert.ok(other.self_signing_keys[a.userId]);
  assert.equal(other.user_signing_keys, undefined, "the user-signing key is for its owner only");
  if (!specUnavailable()) assertMatchesSpec(await specValidators().responseValidator("keys.yaml", "/keys/query", "post", 200), self, "keys/query with cross-signing");
  // The same upload again needs nothing; a new master key needs the password.
  assert.equal((await t.request("POST", `${V3}/keys/device_signing/upload`, { token: a.token, body: keys })).status, 200);
  const master2 = testSigner();
  const replace = { master_key: csKey(a, "master", master2), self_signing_key: csKey(a, "self_signing", ssk, master2) };
  const ask = await t.request("POST", `${V3}/keys/device_signing/upload`, { token: a.token, body: replace });
  assert.equal(ask.status, 401);
  assert.deepEqual(ask.body.flows, [{ stages: ["m.login.password"] }]);
  const auth = { type: "m.login.password", identifier: { type: "m.id.user", user: "csalice" }, password: "pw", session: ask.body.session };
  assert.equal((await t.request("POST", `${V3}/keys/device_signing/upload`, { token: a.token, body: { ...replace, auth: { ...auth, password: "no" } } })).status, 401);
  assert.equal((await t.request("POST", `${V3}/keys/device_signing/upload`, { token: a.token, body: { ...replace, auth } })).status, 200);

  // Signatures: a's device by the (new) self-signing key; b's master by a's user-signing key; a forged one fails.
  const bMaster = testSigner();
  await expectOk(t, "POST", `${V3}/keys/device_signing/upload`, b, { master_key: csKey(b, "master", bMaster) });
  const devSigned = ssk.sign(dev.deviceKeys(), a.userId, `ed25519:${ssk.pub}`);
  const bMasterSigned = usk.sign(csKey(b, "master", bMaster), a.userId, `ed25519:${usk.pub}`);
  const forged = testSigner().sign(dev.deviceKeys(), a.userId, `ed25519:${ssk.pub}`);
  const up = await expectOk(t, "POST", `${V3}/keys/signatures/upload`, a, { [a.userId]: { [a.deviceId]: devSigned }, [b.userId]: { [bMaster.pub]: bMasterSigned } });
  assert.deepEqual(up, { failures: {} });
  if (!specUnavailable()) assertMatchesSpec(await specValidators().responseValidator("cross_signing.yaml", "/keys/signatures/upload", "post", 200), up, "signatures/upload");
  const bad = await expectOk(t, "POST", `${V3}/keys/signatures/upload`, a, { [a.userId]: { [a.deviceId]: forged, NODEVICE: forged } });
  assert.equal(bad.failures[a.userId][a.deviceId].errcode, "M_INVALID_SIGNATURE");
  assert.equal(bad.failures[a.userId].NODEVICE.errcode, "M_NOT_FOUND");
  const seen = await expectOk(t, "POST", `${V3}/keys/query`, b, { device_keys: { [a.userId]: [], [b.userId]: [] } });
  assert.equal(seen.device_keys[a.userId][a.deviceId].signatures[a.userId][`ed25519:${ssk.pub}`], devSigned.signatures[a.userId]![`ed25519:${ssk.pub}`]);
  assert.equal(seen.master_keys[b.userId].signatures?.[a.userId], undefined, "a's user-signing signature is a's business");
  const mine = await expectOk(t, "POST", `${V3}/keys/query`, a, { device_keys: { [b.userId]: [] } });
  assert.ok(mine.master_keys[b.userId].signatures[a.userId][`ed25519:${usk.pub}`]);
});
