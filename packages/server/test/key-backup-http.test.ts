// Server-side key backup: /room_keys/version and /room_keys/keys, on both databases.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { postgresUnavailable } from "./databases";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createTestServer, expectOk, registerUser, type TestServer } from "./support";

const V3 = "/_matrix/client/v3";
const pgSkip = await postgresUnavailable();
if (pgSkip) console.log(`# skipping PostgreSQL store tests: ${pgSkip}`);
const ALG = "m.megolm_backup.v1.curve25519-aes-sha2";
const data = (first: number, forwarded: number, verified: boolean, tag: string) => ({
  first_message_index: first,
  forwarded_count: forwarded,
  is_verified: verified,
  session_data: { ephemeral: tag, ciphertext: tag, mac: tag },
});

for (const database of ["sqlite", "postgres"] as const) {
  describe(`key backup (${database})`, { skip: database === "postgres" ? (pgSkip ?? false) : false }, () => {
    const servers: TestServer[] = [];
    after(() => Promise.all(servers.map((t) => t.close())));

    test("versions: none is 404 M_NOT_FOUND; create, get, update, delete; keys with the replacement rule, etag and count", async () => {
      const t = await createTestServer({}, { database });
      servers.push(t);
      const a = await registerUser(t);
      const b = await registerUser(t);
      const none = await t.request("GET", `${V3}/room_keys/version`, { token: a.token });
      assert.equal(none.status, 404);
      assert.equal(none.body.errcode, "M_NOT_FOUND");
      const { version } = await expectOk(t, "POST", `${V3}/room_keys/version`, a, { algorithm: ALG, auth_data: { public_key: "abc" } });
      assert.equal(version, "1");
      const info = await expectOk(t, "GET", `${V3}/room_keys/version`, a);
      assert.deepEqual(info, { algorithm: ALG, auth_data: { public_key: "abc" }, count: 0, etag: "0", version: "1" });
      assert.equal((await t.request("GET", `${V3}/room_keys/version`, { token: b.token })).status, 404, "backups are per user");
      await expectOk(t, "PUT", `${V3}/room_keys/version/1`, a, { algorithm: ALG, auth_data: { public_key: "abc", signatures: {} }, version: "1" });
      assert.equal((await t.request("PUT", `${V3}/room_keys/version/1`, { token: a.token, body: { algorithm: "other", auth_data: {} } })).body.errcode, "M_INVALID_PARAM");
      assert.equal((await t.request("PUT", `${V3}/room_keys/version/9`, { token: a.token, body: { algorithm: ALG, auth_data: {} } })).status, 404);

      const room = "!r:localhost";
      const put1 = await expectOk(t, "PUT", `${V3}/room_keys/keys?version=1`, a, { rooms: { [room]: { sessions: { s1: data(5, 0, false, "a"), s2: data(0, 0, false, "b") } } } });
      assert.deepEqual(put1, { etag: "1", count: 2 });
      // Replacement: a lower first index wins, a verified copy beats an unverified one, a worse copy is ignored.
      await expectOk(t, "PUT", `${V3}/room_keys/keys/${encodeURIComponent(room)}/s1?version=1`, a, data(2, 0, false, "better"));
      await expectOk(t, "PUT", `${V3}/room_keys/keys/${encodeURIComponent(room)}?version=1`, a, { sessions: { s1: data(9, 0, false, "worse"), s2: data(3, 1, true, "verified") } });
      const s1 = await expectOk(t, "GET", `${V3}/room_keys/keys/${encodeURIComponent(room)}/s1?version=1`, a);
      assert.equal(s1.session_data.ciphertext, "better");
      const all = await expectOk(t, "GET", `${V3}/room_keys/keys?version=1`, a);
      assert.equal(all.rooms[room].sessions.s2.session_data.ciphertext, "verified");
      assert.deepEqual(await expectOk(t, "GET", `${V3}/room_keys/keys/${encodeURIComponent("!none:localhost")}?version=1`, a), { sessions: {} });
      assert.equal((await t.request("GET", `${V3}/room_keys/keys/${encodeURIComponent(room)}/nope?version=1`, { token: a.token })).body.errcode, "M_NOT_FOUND");
      if (!specUnavailable()) {
        const v = specValidators();
        assertMatchesSpec(await v.responseValidator("key_backup.yaml", "/room_keys/version", "get", 200), info, "room_keys/version");
        assertMatchesSpec(await v.responseValidator("key_backup.yaml", "/room_keys/keys", "get", 200), all, "room_keys/keys");
        assertMatchesSpec(await v.responseValidator("key_backup.yaml", "/room_keys/keys", "put", 200), put1, "put room_keys/keys");
      }
      // Errors: a bad body stores nothing; an old version is 403 with the current one.
      for (const body of [{ rooms: { [room]: { sessions: { s3: { ...data(0, 0, false, "x"), first_message_index: -1 } } } } }, { rooms: "x" }]) {
        const bad = await t.request("PUT", `${V3}/room_keys/keys?version=1`, { token: a.token, body });
        assert.equal(bad.status, 400);
      }
      assert.equal((await t.request("PUT", `${V3}/room_keys/keys?version=1`, { token: a.token, rawBody: "{" })).body.errcode, "M_NOT_JSON");
      assert.equal((await t.request("PUT", `${V3}/room_keys/keys`, { token: a.token, body: { rooms: {} } })).body.errcode, "M_MISSING_PARAM");
      const v2 = await expectOk(t, "POST", `${V3}/room_keys/version`, a, { algorithm: ALG, auth_data: { public_key: "def" } });
      assert.equal(v2.version, "2");
      const old = await t.request("PUT", `${V3}/room_keys/keys?version=1`, { token: a.token, body: { rooms: {} } });
      assert.equal(old.status, 403);
      assert.deepEqual(old.body, { errcode: "M_WRONG_ROOM_KEYS_VERSION", error: "Wrong backup version.", current_version: "2" });
      // Deleting keys and versions.
      const del = await expectOk(t, "DELETE", `${V3}/room_keys/keys/${encodeURIComponent(room)}/s1?version=1`, a);
      assert.equal(del.count, 1);
      await expectOk(t, "DELETE", `${V3}/room_keys/version/2`, a);
      assert.equal((await expectOk(t, "GET", `${V3}/room_keys/version`, a)).version, "1", "the newest live one");
      assert.equal((await t.request("DELETE", `${V3}/room_keys/version/2`, { token: a.token })).status, 404);
      assert.equal((await t.request("GET", `${V3}/room_keys/version/abc`, { token: a.token })).status, 404);
      assert.equal((await t.request("GET", `${V3}/room_keys/version`)).status, 401);
    });
  });
}
