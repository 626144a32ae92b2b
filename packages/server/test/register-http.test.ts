import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { UserId } from "@axon/protocol";
import { createTestServer, registerUser, type TestServer } from "./support";

const V3 = "/_matrix/client/v3";

describe("registration enabled", () => {
  let t: TestServer;
  before(async () => {
    // Many registrations from one address in a row: the register limit (tested in auth-limits.test.ts) is off here.
    t = await createTestServer({ server_name: "example.test", rate_limits: { register: { per_second: 0 } } });
  });
  after(() => t.close());

  const exists = (localpart: string) => t.server.deps.accounts.userExists(`@${localpart}:example.test` as UserId);

  it("without auth: 401 with the m.login.dummy flow and a session, and no user yet", async () => {
    const res = await t.request("POST", `${V3}/register`, { body: { username: "uia", password: "pw" } });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body.flows, [{ stages: ["m.login.dummy"] }]);
    assert.deepEqual(res.body.params, {});
    assert.equal(typeof res.body.session, "string");
    assert.ok(res.body.session.length > 0);
    assert.equal(await exists("uia"), false);
  });

  it("with m.login.dummy: creates the user and logs in", async () => {
    const first = await t.request("POST", `${V3}/register`, { body: { username: "dummy", password: "pw-dummy" } });
    const res = await t.request("POST", `${V3}/register`, {
      body: {
        username: "dummy",
        password: "pw-dummy",
        auth: { type: "m.login.dummy", session: first.body.session },
        device_id: "REGDEV",
        initial_device_display_name: "Registering client",
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.user_id, "@dummy:example.test");
    assert.equal(res.body.home_server, "example.test");
    assert.equal(res.body.device_id, "REGDEV");
    const who = await t.request("GET", `${V3}/account/whoami`, { token: res.body.access_token });
    assert.deepEqual(who.body, { user_id: "@dummy:example.test", device_id: "REGDEV", is_guest: false });
    const dev = await t.request("GET", `${V3}/devices/REGDEV`, { token: res.body.access_token });
    assert.equal(dev.body.display_name, "Registering client");
    // The password works for a later login.
    const login = await t.request("POST", `${V3}/login`, { body: { type: "m.login.password", user: "dummy", password: "pw-dummy" } });
    assert.equal(login.status, 200);
  });

  it("inhibit_login creates the user without a token", async () => {
    const res = await t.request("POST", `${V3}/register`, {
      body: { username: "quiet", password: "pw", inhibit_login: true, auth: { type: "m.login.dummy" } },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.user_id, "@quiet:example.test");
    assert.equal(res.body.access_token, undefined);
    assert.deepEqual(await t.server.deps.accounts.listDevices("@quiet:example.test" as UserId), []);
  });

  it("a taken name is M_USER_IN_USE, before and after auth, and the account is untouched", async () => {
    await registerUser(t, "taken", "original");
    for (const body of [
      { username: "taken", password: "new" },
      { username: "taken", password: "new", auth: { type: "m.login.dummy" } },
    ]) {
      const res = await t.request("POST", `${V3}/register`, { body });
      assert.equal(res.status, 400);
      assert.equal(res.body.errcode, "M_USER_IN_USE");
    }
    const old = await t.request("POST", `${V3}/login`, { body: { type: "m.login.password", user: "taken", password: "original" } });
    assert.equal(old.status, 200);
  });

  it("an invalid name is M_INVALID_USERNAME and creates nothing", async () => {
    for (const username of ["has space", "emoji😀", "colon:name", "a".repeat(300)]) {
      const res = await t.request("POST", `${V3}/register`, { body: { username, password: "pw", auth: { type: "m.login.dummy" } } });
      assert.equal(res.status, 400, username);
      assert.equal(res.body.errcode, "M_INVALID_USERNAME", username);
    }
    assert.equal(await exists("has space"), false);
  });

  it("upper-case names are folded to lower case", async () => {
    const res = await t.request("POST", `${V3}/register`, { body: { username: "MixedCase", password: "pw", auth: { type: "m.login.dummy" } } });
    assert.equal(res.status, 200);
    assert.equal(res.body.user_id, "@mixedcase:example.test");
  });

  it("without a username a random one is chosen", async () => {
    const res = await t.request("POST", `${V3}/register`, { body: { password: "pw", auth: { type: "m.login.dummy" } } });
    assert.equal(res.status, 200);
    assert.match(res.body.user_id, /^@[a-z0-9_]+:example\.test$/);
  });

  it("an unknown auth type gets the challenge again; no password is M_INVALID_PARAM", async () => {
    const res = await t.request("POST", `${V3}/register`, {
      body: { username: "wrongauth", password: "pw", auth: { type: "m.login.recaptcha", session: "s1" } },
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.session, "s1");
    const noPw = await t.request("POST", `${V3}/register`, { body: { username: "nopw", auth: { type: "m.login.dummy" } } });
    assert.equal(noPw.status, 400);
    assert.equal(noPw.body.errcode, "M_INVALID_PARAM");
    assert.equal(await exists("wrongauth"), false);
    assert.equal(await exists("nopw"), false);
  });

  it("guest registration is refused", async () => {
    const res = await t.request("POST", `${V3}/register?kind=guest`, { body: {} });
    assert.equal(res.status, 403);
    assert.equal(res.body.errcode, "M_FORBIDDEN");
  });

  it("GET /register/available", async () => {
    await registerUser(t, "present", "pw");
    const free = await t.request("GET", `${V3}/register/available?username=absent`);
    assert.equal(free.status, 200);
    assert.deepEqual(free.body, { available: true });
    const taken = await t.request("GET", `${V3}/register/available?username=present`);
    assert.equal(taken.status, 400);
    assert.equal(taken.body.errcode, "M_USER_IN_USE");
    const invalid = await t.request("GET", `${V3}/register/available?username=${encodeURIComponent("bad name")}`);
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.errcode, "M_INVALID_USERNAME");
    const missing = await t.request("GET", `${V3}/register/available`);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errcode, "M_MISSING_PARAM");
  });

  it("a bad body is M_NOT_JSON / M_BAD_JSON and creates nothing", async () => {
    const notJson = await t.request("POST", `${V3}/register`, { rawBody: "{username: 'x'" });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.errcode, "M_NOT_JSON");
    const wrongType = await t.request("POST", `${V3}/register`, { body: { username: 42, password: "pw", auth: { type: "m.login.dummy" } } });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.errcode, "M_BAD_JSON");
    assert.equal(await exists("42"), false);
  });
});

describe("registration disabled", () => {
  let t: TestServer;
  before(async () => {
    t = await createTestServer({ server_name: "example.test", registration: { enabled: false } });
  });
  after(() => t.close());

  it("POST /register is 403 M_FORBIDDEN, with or without auth, and creates nothing", async () => {
    for (const body of [{ username: "closed", password: "pw" }, { username: "closed", password: "pw", auth: { type: "m.login.dummy" } }]) {
      const res = await t.request("POST", `${V3}/register`, { body });
      assert.equal(res.status, 403);
      assert.equal(res.body.errcode, "M_FORBIDDEN");
    }
    assert.equal(await t.server.deps.accounts.userExists("@closed:example.test" as UserId), false);
  });

  it("GET /register/available is 403 M_FORBIDDEN", async () => {
    const res = await t.request("GET", `${V3}/register/available?username=closed`);
    assert.equal(res.status, 403);
    assert.equal(res.body.errcode, "M_FORBIDDEN");
  });

  it("users made by an admin can still log in", async () => {
    await registerUser(t, "admin_made", "pw");
    const res = await t.request("POST", `${V3}/login`, { body: { type: "m.login.password", user: "admin_made", password: "pw" } });
    assert.equal(res.status, 200);
  });
});
