// Pushers over HTTP (GET /pushers, POST /pushers/set): set, update, append, delete with kind null,
// bad requests refused with nothing changed, the gateway URL checks and push.allow_private_gateways,
// pushers going with the device that set them, and surviving a restart, on both databases.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freshDatabase, testDatabases, type TestDatabase } from "./databases";
import { assertMatchesSpec, specUnavailable, specValidators, type SchemaCheck } from "./spec-schemas";
import { createTestServer, registerUser, type TestServer, type TestUser } from "./support";
import { UserAdmin } from "../src/admin/user-admin";
import { SqlAdminStore } from "../src/storage/sql-admin-store";

const V3 = "/_matrix/client/v3";
const GATEWAY = "https://push.example.org/_matrix/push/v1/notify";
const spec = specUnavailable();
if (spec) console.log(`# ${spec}`);
const schema = async (path: string, method: string): Promise<SchemaCheck> => (spec ? () => [] : specValidators().responseValidator("pusher.yaml", path, method, 200));
const requestSchema = async (): Promise<SchemaCheck> => (spec ? () => [] : specValidators().requestValidator("pusher.yaml", "/pushers/set", "post"));

/** A complete http pusher body; `over` replaces or adds keys. */
const pusher = (pushkey: string, over: Record<string, unknown> = {}) => ({
  kind: "http",
  app_id: "org.example.app.ios",
  pushkey,
  app_display_name: "Example",
  device_display_name: "Alice's phone",
  lang: "en",
  data: { url: GATEWAY, format: "event_id_only", custom: { x: 1 } },
  ...over,
});

for (const { name, skip } of await testDatabases()) {
  describe(`pushers over HTTP on ${name}`, { skip }, () => {
    let db: TestDatabase;
    let t: TestServer;
    let alice: TestUser;
    let bob: TestUser;

    const set = (u: TestUser, body: unknown) => t.request("POST", `${V3}/pushers/set`, { token: u.token, body });
    const list = async (u: TestUser) => {
      const res = await t.request("GET", `${V3}/pushers`, { token: u.token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assertMatchesSpec(await schema("/pushers", "get"), res.body, "GET /pushers");
      return res.body.pushers as { pushkey: string; app_id: string; device_display_name: string; profile_tag?: string; data: Record<string, unknown> }[];
    };
    const keys = async (u: TestUser) => (await list(u)).map((p) => `${p.app_id}/${p.pushkey}`).sort();
    const ok = async (u: TestUser, body: unknown) => {
      const res = await set(u, body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, {});
    };

    before(async () => {
      db = await freshDatabase(name);
      t = await createTestServer({}, { db });
      alice = await registerUser(t);
      bob = await registerUser(t);
    });
    after(async () => {
      await t.close();
      await db.cleanup();
    });

    it("sets a pusher, lists it as the spec shapes it, updates it in place and keeps the client's data", async () => {
      assertMatchesSpec(await requestSchema(), pusher("k1"), "the test's own request body");
      assert.deepEqual(await list(alice), []);
      await ok(alice, pusher("k1", { profile_tag: "tag1" }));
      assert.deepEqual(await list(alice), [
        {
          pushkey: "k1",
          kind: "http",
          app_id: "org.example.app.ios",
          app_display_name: "Example",
          device_display_name: "Alice's phone",
          profile_tag: "tag1",
          lang: "en",
          data: { url: GATEWAY, format: "event_id_only", custom: { x: 1 } },
        },
      ]);
      // The same app_id and pushkey again: updated, not added.
      await ok(alice, pusher("k1", { device_display_name: "Renamed", data: { url: GATEWAY } }));
      const after = await list(alice);
      assert.equal(after.length, 1);
      assert.equal(after[0]!.device_display_name, "Renamed");
      assert.equal(after[0]!.profile_tag, undefined, "no profile_tag this time");
      assert.deepEqual(after[0]!.data, { url: GATEWAY });
      // Another pushkey, and the same pushkey under another app: three pushers.
      await ok(alice, pusher("k2"));
      await ok(alice, pusher("k1", { app_id: "org.example.app.android" }));
      assert.deepEqual(await keys(alice), ["org.example.app.android/k1", "org.example.app.ios/k1", "org.example.app.ios/k2"]);
      assert.deepEqual(await list(bob), [], "nobody else sees them");
    });

    it("append false takes the app_id+pushkey from other users; append true shares it", async () => {
      await ok(alice, pusher("shared"));
      await ok(bob, pusher("shared", { append: true }));
      assert.ok((await keys(alice)).includes("org.example.app.ios/shared"), "append: alice keeps hers");
      assert.deepEqual(await keys(bob), ["org.example.app.ios/shared"]);
      // Bob sets it again without append: alice's pusher with that app_id and pushkey goes, her others stay.
      await ok(bob, pusher("shared", { append: false }));
      assert.ok(!(await keys(alice)).includes("org.example.app.ios/shared"));
      assert.ok((await keys(alice)).includes("org.example.app.ios/k2"));
      assert.deepEqual(await keys(bob), ["org.example.app.ios/shared"]);
      // Bob's own pushers are never removed by his own set (the default is append false).
      await ok(bob, pusher("shared", { app_id: "org.example.app.android" }));
      await ok(bob, pusher("shared"));
      assert.deepEqual(await keys(bob), ["org.example.app.android/shared", "org.example.app.ios/shared"]);
    });

    it("kind null deletes by app_id and pushkey alone; deleting what is not there is fine", async () => {
      await ok(bob, { kind: null, app_id: "org.example.app.android", pushkey: "shared" });
      assert.deepEqual(await keys(bob), ["org.example.app.ios/shared"]);
      await ok(bob, { kind: null, app_id: "org.example.app.android", pushkey: "shared" });
      // Bob cannot delete alice's pusher: kind null names his own.
      const before = await keys(alice);
      await ok(bob, { kind: null, app_id: "org.example.app.ios", pushkey: "k2" });
      assert.deepEqual(await keys(alice), before);
    });

    it("refuses bad requests with the right error and changes nothing", async () => {
      const before = JSON.stringify(await list(alice));
      const url = (u: string) => pusher("bad", { data: { url: u } });
      const cases: [string, unknown, number, string][] = [
        ["no kind", { app_id: "a", pushkey: "bad" }, 400, "M_MISSING_PARAM"],
        ["kind email", pusher("bad", { kind: "email" }), 400, "M_INVALID_PARAM"],
        ["kind other", pusher("bad", { kind: "sms" }), 400, "M_INVALID_PARAM"],
        ["kind a number", pusher("bad", { kind: 5 }), 400, "M_BAD_JSON"],
        ["no app_id", { ...pusher("bad"), app_id: undefined }, 400, "M_MISSING_PARAM"],
        ["empty app_id", pusher("bad", { app_id: "" }), 400, "M_INVALID_PARAM"],
        ["app_id over 64", pusher("bad", { app_id: "a".repeat(65) }), 400, "M_INVALID_PARAM"],
        ["no pushkey", { ...pusher("bad"), pushkey: undefined }, 400, "M_MISSING_PARAM"],
        ["pushkey over 512 bytes", pusher("é".repeat(257)), 400, "M_INVALID_PARAM"],
        ["no lang", { ...pusher("bad"), lang: undefined }, 400, "M_MISSING_PARAM"],
        ["no app_display_name", { ...pusher("bad"), app_display_name: undefined }, 400, "M_MISSING_PARAM"],
        ["no device_display_name", { ...pusher("bad"), device_display_name: undefined }, 400, "M_MISSING_PARAM"],
        ["no data", { ...pusher("bad"), data: undefined }, 400, "M_MISSING_PARAM"],
        ["data not an object", pusher("bad", { data: "x" }), 400, "M_BAD_JSON"],
        ["no data.url", pusher("bad", { data: { format: "event_id_only" } }), 400, "M_MISSING_PARAM"],
        ["data.url not a string", pusher("bad", { data: { url: 7 } }), 400, "M_BAD_JSON"],
        ["unknown format", pusher("bad", { data: { url: GATEWAY, format: "full" } }), 400, "M_INVALID_PARAM"],
        ["append not a boolean", pusher("bad", { append: "yes" }), 400, "M_BAD_JSON"],
        ["relative url", url("/_matrix/push/v1/notify"), 400, "M_INVALID_PARAM"],
        ["not a url", url("push gateway"), 400, "M_INVALID_PARAM"],
        ["ftp url", url("ftp://push.example.org/_matrix/push/v1/notify"), 400, "M_INVALID_PARAM"],
        ["javascript url", url("javascript:alert(1)"), 400, "M_INVALID_PARAM"],
        ["wrong path", url("https://push.example.org/notify"), 400, "M_INVALID_PARAM"],
        ["old path", url("https://push.example.org/_matrix/push/r0/notify"), 400, "M_INVALID_PARAM"],
        ["kind null, no pushkey", { kind: null, app_id: "org.example.app.ios" }, 400, "M_MISSING_PARAM"],
        ["a JSON array", [pusher("bad")], 400, "M_BAD_JSON"],
      ];
      for (const [what, body, status, errcode] of cases) {
        const res = await set(alice, body);
        assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.errcode, errcode, `${what}: ${JSON.stringify(res.body)}`);
        assert.ok(typeof res.body.error === "string" && res.body.error.length > 0, `${what}: a message`);
      }
      const notJson = await t.request("POST", `${V3}/pushers/set`, { token: alice.token, rawBody: "{nope" });
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body.errcode, "M_NOT_JSON");
      const anon = await t.request("POST", `${V3}/pushers/set`, { body: pusher("bad") });
      assert.equal(anon.status, 401);
      assert.equal((await t.request("GET", `${V3}/pushers`)).status, 401);
      assert.equal(JSON.stringify(await list(alice)), before, "nothing changed");
    });

    it("refuses gateways on loopback, private, link-local and unspecified addresses while push.allow_private_gateways is off", async () => {
      const before = JSON.stringify(await list(alice));
      for (const host of ["127.0.0.1", "127.1", "localhost", "LocalHost.", "app.localhost", "[::1]", "[::ffff:127.0.0.1]", "10.0.0.8", "192.168.1.1", "172.16.5.4", "169.254.169.254", "0.0.0.0", "[::]", "[fe80::1]", "[fd12::1]"]) {
        const res = await set(alice, pusher("private", { data: { url: `http://${host}:8080/_matrix/push/v1/notify` } }));
        assert.equal(res.status, 400, host);
        assert.equal(res.body.errcode, "M_INVALID_PARAM", host);
      }
      assert.equal(JSON.stringify(await list(alice)), before);
      // Public addresses and names (not resolved when set), over https or http.
      await ok(alice, pusher("public1", { data: { url: "http://203.0.113.9/_matrix/push/v1/notify" } }));
      await ok(alice, pusher("public2", { data: { url: "https://[2001:db8::1]:8443/_matrix/push/v1/notify" } }));
      await ok(alice, pusher("public3", { data: { url: "https://gateway.example.net/_matrix/push/v1/notify?x=1" } }));
    });

    it("accepts a private gateway when push.allow_private_gateways is on", async () => {
      const open = await createTestServer({ push: { allow_private_gateways: true } }, { database: name });
      try {
        const u = await registerUser(open);
        const res = await open.request("POST", `${V3}/pushers/set`, { token: u.token, body: pusher("local", { data: { url: "http://127.0.0.1:9/_matrix/push/v1/notify" } }) });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        // The path and scheme checks still hold.
        const path = await open.request("POST", `${V3}/pushers/set`, { token: u.token, body: pusher("local", { data: { url: "http://127.0.0.1:9/" } }) });
        assert.equal(path.body.errcode, "M_INVALID_PARAM");
      } finally {
        await open.close();
      }
    });

    it("a device's pushers go when it logs out; logout/all takes the rest", async () => {
      const carol = await registerUser(t);
      const phone = { ...carol, token: (await t.server.deps.accounts.startSession(carol.userId, null, null)).accessToken };
      const tablet = { ...carol, token: (await t.server.deps.accounts.startSession(carol.userId, null, null)).accessToken };
      await ok(carol, pusher("laptop-key"));
      await ok(phone, pusher("phone-key"));
      await ok(phone, pusher("phone-key-2", { app_id: "org.example.other" }));
      await ok(tablet, pusher("tablet-key"));
      assert.equal((await list(carol)).length, 4);
      assert.equal((await t.request("POST", `${V3}/logout`, { token: phone.token, body: {} })).status, 200);
      assert.deepEqual(await keys(carol), ["org.example.app.ios/laptop-key", "org.example.app.ios/tablet-key"]);
      // A pusher updated from another device belongs to that device from then on.
      await ok(tablet, pusher("laptop-key"));
      assert.equal((await t.request("POST", `${V3}/logout/all`, { token: carol.token, body: {} })).status, 200);
      const again = (await t.server.deps.accounts.startSession(carol.userId, null, null)).accessToken;
      assert.deepEqual((await t.request("GET", `${V3}/pushers`, { token: again })).body, { pushers: [] });
    });

    it("keeps pushers across a restart", async () => {
      const before = await list(alice);
      assert.ok(before.length > 0);
      await t.close();
      t = await createTestServer({}, { db });
      assert.deepEqual(await list(alice), before);
    });

    it("an operator's reset-password (every device logged out) takes the user's pushers, once the server applies it", async () => {
      const dave = await registerUser(t, "dave");
      await ok(dave, pusher("dave-key"));
      await ok(alice, pusher("alice-stays"));
      const other = await db.open();
      try {
        await new UserAdmin(new SqlAdminStore(other.db), t.clock, t.config.server_name).resetPassword("dave", "new password", false);
      } finally {
        await other.close();
      }
      // A restart applies the logged change at start (a running server does within 2 s).
      await t.close();
      t = await createTestServer({}, { db });
      const again = { ...dave, token: (await t.server.deps.accounts.startSession(dave.userId, null, null)).accessToken };
      assert.deepEqual(await list(again), []);
      assert.ok((await keys(alice)).includes("org.example.app.ios/alice-stays"));
    });
  });
}
