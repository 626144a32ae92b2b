// POST /keys/upload, /keys/query, /keys/claim, GET /keys/changes and device lists in /sync, on both databases.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { postgresUnavailable } from "./databases";
import { testDevice } from "./e2ee-support";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const pgSkip = await postgresUnavailable();
if (pgSkip) console.log(`# skipping PostgreSQL store tests: ${pgSkip}`);
const specSkip = specUnavailable();
if (specSkip) console.log(`# ${specSkip}`);

async function sync(t: TestServer, u: TestUser, since?: string) {
  return expectOk(t, "GET", `${V3}/sync?timeout=0${since ? `&since=${encodeURIComponent(since)}` : ""}`, u);
}

/**
 * Syncs from `since` until the answer carries device_lists (a membership change reaches the device
 * list stream just after the membership event itself): at most a few rounds.
 */
async function syncForLists(t: TestServer, u: TestUser, since: string) {
  for (let i = 0; i < 5; i++) {
    const s = await expectOk(t, "GET", `${V3}/sync?timeout=1000&since=${encodeURIComponent(since)}`, u);
    if (s.device_lists) return s;
    since = s.next_batch;
  }
  throw new Error("no device_lists after 5 syncs");
}

for (const database of ["sqlite", "postgres"] as const) {
  describe(`device keys over HTTP (${database})`, { skip: database === "postgres" ? (pgSkip ?? false) : false }, () => {
    const servers: TestServer[] = [];
    const server = async () => {
      const t = await createTestServer({}, { database });
      servers.push(t);
      return t;
    };
    after(() => Promise.all(servers.map((t) => t.close())));

    test("upload device, one-time and fallback keys; counts in the answer and in /sync; query by another user", async () => {
      const t = await server();
      const a = await registerUser(t);
      const b = await registerUser(t);
      const dev = testDevice(a);
      const up = await expectOk(t, "POST", `${V3}/keys/upload`, a, { device_keys: dev.deviceKeys(), one_time_keys: dev.oneTimeKeys(3), fallback_keys: dev.fallbackKey() });
      assert.deepEqual(up, { one_time_key_counts: { signed_curve25519: 3 } });
      const s = await sync(t, a);
      assert.deepEqual(s.device_one_time_keys_count, { signed_curve25519: 3 });
      assert.deepEqual(s.device_unused_fallback_key_types, ["signed_curve25519"]);
      // Uploading the same keys again stores nothing new.
      assert.deepEqual(await expectOk(t, "POST", `${V3}/keys/upload`, a, { one_time_keys: dev.oneTimeKeys(3) }), { one_time_key_counts: { signed_curve25519: 3 } });
      await expectOk(t, "PUT", `${V3}/devices/${a.deviceId}`, a, { display_name: "Phone" });
      const q = await expectOk(t, "POST", `${V3}/keys/query`, b, { device_keys: { [a.userId]: [] } });
      const keys = q.device_keys[a.userId][a.deviceId];
      assert.equal(keys.keys[`ed25519:${a.deviceId}`], dev.signer.pub);
      assert.deepEqual(keys.unsigned, { device_display_name: "Phone" });
      assert.deepEqual(q.failures, {});
      const only = await expectOk(t, "POST", `${V3}/keys/query`, b, { device_keys: { [a.userId]: ["NOPE"], [b.userId]: [] } });
      assert.deepEqual(only.device_keys, { [a.userId]: {}, [b.userId]: {} });
      if (!specSkip) {
        const v = specValidators();
        assertMatchesSpec(await v.responseValidator("keys.yaml", "/keys/upload", "post", 200), up, "keys/upload");
        assertMatchesSpec(await v.responseValidator("keys.yaml", "/keys/query", "post", 200), q, "keys/query");
        assertMatchesSpec(await v.responseValidator("sync.yaml", "/sync", "get", 200), s, "sync");
      }
    });

    test("bad uploads are 400 with a Matrix error and store nothing", async () => {
      const t = await server();
      const a = await registerUser(t);
      const other = await registerUser(t);
      const dev = testDevice(a);
      const good = dev.deviceKeys();
      const cases: [string, unknown, string][] = [
        ["someone else's user id", { device_keys: { ...good, user_id: other.userId } }, "M_INVALID_PARAM"],
        ["another device id", { device_keys: { ...good, device_id: "OTHER" } }, "M_INVALID_PARAM"],
        ["a changed key under the signature", { device_keys: { ...good, algorithms: ["x"] } }, "M_INVALID_PARAM"],
        ["no signature", { device_keys: { ...good, signatures: {} } }, "M_INVALID_PARAM"],
        ["keys not an object", { device_keys: { ...good, keys: "x" } }, "M_BAD_JSON"],
        ["a key id without algorithm", { device_keys: good, one_time_keys: { nocolon: "abc" } }, "M_INVALID_PARAM"],
        ["a one-time key signed by another key", { device_keys: good, one_time_keys: testDevice(a).oneTimeKeys(1) }, "M_INVALID_PARAM"],
        ["a fallback key that is a number", { fallback_keys: { "signed_curve25519:X": 5 } }, "M_INVALID_PARAM"],
      ];
      for (const [what, body, errcode] of cases) {
        const res = await t.request("POST", `${V3}/keys/upload`, { token: a.token, body });
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.errcode, errcode, what);
        assert.equal(typeof res.body.error, "string");
      }
      const notJson = await t.request("POST", `${V3}/keys/upload`, { token: a.token, rawBody: "{nope" });
      assert.equal(notJson.body.errcode, "M_NOT_JSON");
      const q = await expectOk(t, "POST", `${V3}/keys/query`, a, { device_keys: { [a.userId]: [] } });
      assert.deepEqual(q.device_keys[a.userId], {}, "nothing stored");
      assert.deepEqual((await sync(t, a)).device_one_time_keys_count, {});
      // A one-time key id reused with another value is refused, the first one kept.
      await expectOk(t, "POST", `${V3}/keys/upload`, a, { device_keys: good, one_time_keys: dev.oneTimeKeys(1) });
      const reuse = await t.request("POST", `${V3}/keys/upload`, { token: a.token, body: { one_time_keys: { "signed_curve25519:K0": dev.signer.sign({ key: "AAAA" }, a.userId, `ed25519:${a.deviceId}`) } } });
      assert.equal(reuse.status, 400);
      for (const [path, body] of [["query", { device_keys: { "not-a-user": [] } }], ["claim", { one_time_keys: { "@x:localhost": { D: 5 } } }], ["claim", {}]] as const) {
        const res = await t.request("POST", `${V3}/keys/${path}`, { token: a.token, body });
        assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
        assert.match(res.body.errcode, /^M_/);
      }
      assert.equal((await t.request("POST", `${V3}/keys/upload`, { body: {} })).body.errcode, "M_MISSING_TOKEN");
    });

    test("claim hands out each one-time key once, also to concurrent claimers, then the fallback key", async () => {
      const t = await server();
      const a = await registerUser(t);
      const b = await registerUser(t);
      const dev = testDevice(a);
      await expectOk(t, "POST", `${V3}/keys/upload`, a, { device_keys: dev.deviceKeys(), one_time_keys: dev.oneTimeKeys(5), fallback_keys: dev.fallbackKey() });
      const body = { one_time_keys: { [a.userId]: { [a.deviceId]: "signed_curve25519" } } };
      const answers = await Promise.all(Array.from({ length: 8 }, () => expectOk(t, "POST", `${V3}/keys/claim`, b, body)));
      const ids = answers.map((r) => Object.keys(r.one_time_keys[a.userId][a.deviceId])[0]);
      const otks = ids.filter((id) => id !== "signed_curve25519:F1");
      assert.equal(new Set(otks).size, 5, `five distinct one-time keys: ${ids.join(" ")}`);
      assert.equal(ids.length - otks.length, 3, "the other three got the fallback key");
      const s = await sync(t, a);
      assert.deepEqual(s.device_one_time_keys_count, {});
      assert.deepEqual(s.device_unused_fallback_key_types, []);
      const none = await expectOk(t, "POST", `${V3}/keys/claim`, b, { one_time_keys: { [a.userId]: { [a.deviceId]: "other_alg", NODEVICE: "signed_curve25519" } } });
      assert.deepEqual(none, { one_time_keys: {}, failures: {} });
      if (!specSkip) assertMatchesSpec(await specValidators().responseValidator("keys.yaml", "/keys/claim", "post", 200), answers[0], "keys/claim");
    });

    test("device lists: new keys, joins, leaves and deleted devices reach /sync and /keys/changes", async () => {
      const t = await server();
      const a = await registerUser(t);
      const b = await registerUser(t);
      const c = await registerUser(t);
      const room = await createRoom(t, a, { preset: "public_chat" });
      await joinRoom(t, room, b);
      const s0 = await sync(t, b);
      await sync(t, a);
      // a uploads keys: b (shares a room) and a's own devices hear of it; c does not.
      const c0 = await sync(t, c);
      await expectOk(t, "POST", `${V3}/keys/upload`, a, { device_keys: testDevice(a).deviceKeys() });
      const s1 = await sync(t, b, s0.next_batch);
      assert.deepEqual(s1.device_lists, { changed: [a.userId], left: [] });
      assert.equal((await sync(t, c, c0.next_batch)).device_lists, undefined);
      const ch = await expectOk(t, "GET", `${V3}/keys/changes?from=${s0.next_batch}&to=${s1.next_batch}`, b);
      assert.deepEqual(ch, { changed: [a.userId], left: [] });
      if (!specSkip) assertMatchesSpec(await specValidators().responseValidator("keys.yaml", "/keys/changes", "get", 200), ch, "keys/changes");
      // c joins: a and b hear of c, c hears of both.
      await joinRoom(t, room, c);
      const s2 = await syncForLists(t, b, s1.next_batch);
      assert.deepEqual(s2.device_lists.changed, [c.userId]);
      const c1 = await syncForLists(t, c, c0.next_batch);
      assert.deepEqual([...c1.device_lists.changed].sort(), [a.userId, b.userId].sort());
      // b leaves: a and c see b as left; b sees them as left.
      await expectOk(t, "POST", `${V3}/rooms/${encodeURIComponent(room)}/leave`, b, {});
      const s3 = await syncForLists(t, b, s2.next_batch);
      assert.deepEqual([...s3.device_lists.left].sort(), [a.userId, c.userId].sort());
      assert.deepEqual((await syncForLists(t, c, c1.next_batch)).device_lists, { changed: [], left: [b.userId] });
      // a deletes its device: its keys go, c hears of it.
      const a2 = await t.server.deps.accounts.startSession(a.userId, null, null);
      const c2 = await sync(t, c);
      await t.server.deps.accounts.deleteDevice(a.userId, a.deviceId as never);
      const q = await expectOk(t, "POST", `${V3}/keys/query`, c, { device_keys: { [a.userId]: [] } });
      assert.deepEqual(q.device_keys[a.userId], {});
      assert.deepEqual((await sync(t, c, c2.next_batch)).device_lists.changed, [a.userId]);
      assert.ok(a2.accessToken);
      const bad = await t.request("GET", `${V3}/keys/changes?from=garbage&to=${s1.next_batch}`, { token: b.token });
      assert.equal(bad.status, 400);
      assert.equal((await t.request("GET", `${V3}/keys/changes?to=${s1.next_batch}`, { token: b.token })).body.errcode, "M_MISSING_PARAM");
    });
  });
}
