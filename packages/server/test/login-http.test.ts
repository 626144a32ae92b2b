import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { UserId } from "@axon/protocol";
import { createTestServer, registerUser, type TestServer } from "./support";

const V3 = "/_matrix/client/v3";

describe("login, logout, whoami", () => {
  let t: TestServer;
  before(async () => {
    // Many logins from one address in a row: the login limit (tested in auth-limits.test.ts) is off here.
    t = await createTestServer({ server_name: "example.test", public_baseurl: "https://hs.example.test/", rate_limits: { login: { per_second: 0 } } });
  });
  after(() => t.close());

  const devicesOf = (userId: UserId) => t.server.deps.accounts.listDevices(userId);

  it("GET /login lists the password flow", async () => {
    const res = await t.request("GET", `${V3}/login`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { flows: [{ type: "m.login.password" }] });
  });

  it("logs in with an m.id.user identifier and a localpart", async () => {
    await registerUser(t, "ident", "pw-ident");
    const res = await t.request("POST", `${V3}/login`, {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: "ident" }, password: "pw-ident" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.user_id, "@ident:example.test");
    assert.equal(res.body.home_server, "example.test");
    assert.deepEqual(res.body.well_known, { "m.homeserver": { base_url: "https://hs.example.test" } });
    assert.equal(typeof res.body.access_token, "string");
    assert.equal(typeof res.body.device_id, "string");
    const who = await t.request("GET", `${V3}/account/whoami`, { token: res.body.access_token });
    assert.equal(who.status, 200);
    assert.deepEqual(who.body, { user_id: "@ident:example.test", device_id: res.body.device_id, is_guest: false });
  });

  it("logs in with a full user id, and with the legacy top-level user", async () => {
    await registerUser(t, "legacy", "pw-legacy");
    const full = await t.request("POST", `${V3}/login`, {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: "@legacy:example.test" }, password: "pw-legacy" },
    });
    assert.equal(full.status, 200);
    assert.equal(full.body.user_id, "@legacy:example.test");
    const top = await t.request("POST", `${V3}/login`, { body: { type: "m.login.password", user: "legacy", password: "pw-legacy" } });
    assert.equal(top.status, 200);
    assert.equal(top.body.user_id, "@legacy:example.test");
    const topFull = await t.request("POST", `${V3}/login`, {
      body: { type: "m.login.password", user: "@legacy:example.test", password: "pw-legacy" },
    });
    assert.equal(topFull.status, 200);
    assert.notEqual(top.body.access_token, topFull.body.access_token);
    assert.notEqual(top.body.device_id, topFull.body.device_id);
  });

  it("a localpart is matched case-insensitively", async () => {
    await registerUser(t, "casey", "pw-casey");
    const res = await t.request("POST", `${V3}/login`, { body: { type: "m.login.password", user: "Casey", password: "pw-casey" } });
    assert.equal(res.status, 200);
    assert.equal(res.body.user_id, "@casey:example.test");
    const full = await t.request("POST", `${V3}/login`, {
      body: { type: "m.login.password", user: "@CASEY:example.test", password: "pw-casey" },
    });
    assert.equal(full.status, 200);
    assert.equal(full.body.user_id, "@casey:example.test");
  });

  it("a wrong password, an unknown user or another server's user is 403 M_FORBIDDEN and creates no device", async () => {
    const u = await registerUser(t, "wrongpw", "right");
    const before = (await devicesOf(u.userId)).length;
    for (const user of ["wrongpw", "nobody_here", "@wrongpw:elsewhere.test"]) {
      const res = await t.request("POST", `${V3}/login`, {
        body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password: user === "wrongpw" ? "wrong" : "right" },
      });
      assert.equal(res.status, 403, user);
      assert.equal(res.body.errcode, "M_FORBIDDEN", user);
      assert.equal(res.body.access_token, undefined);
    }
    assert.equal((await devicesOf(u.userId)).length, before);
  });

  it("device_id and initial_device_display_name are honoured", async () => {
    const u = await registerUser(t, "named", "pw-named");
    const res = await t.request("POST", `${V3}/login`, {
      body: {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: "named" },
        password: "pw-named",
        device_id: "MYPHONE",
        initial_device_display_name: "Alice's phone",
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.device_id, "MYPHONE");
    const dev = await t.request("GET", `${V3}/devices/MYPHONE`, { token: res.body.access_token });
    assert.equal(dev.status, 200);
    assert.equal(dev.body.device_id, "MYPHONE");
    assert.equal(dev.body.display_name, "Alice's phone");
    const who = await t.request("GET", `${V3}/account/whoami`, { token: res.body.access_token });
    assert.equal(who.body.device_id, "MYPHONE");
    // Logging in again on the same device keeps it (one device, not two) and keeps its name.
    const again = await t.request("POST", `${V3}/login`, {
      body: { type: "m.login.password", user: "named", password: "pw-named", device_id: "MYPHONE" },
    });
    assert.equal(again.body.device_id, "MYPHONE");
    const ids = (await devicesOf(u.userId)).map((d) => d.deviceId).filter((d) => d === "MYPHONE");
    assert.equal(ids.length, 1);
    assert.equal((await t.server.deps.accounts.getDevice(u.userId, "MYPHONE" as never)).displayName, "Alice's phone");
  });

  it("an unsupported login type or identifier type is refused", async () => {
    await registerUser(t, "types", "pw");
    const token = await t.request("POST", `${V3}/login`, { body: { type: "m.login.token", token: "x", password: "pw" } });
    assert.equal(token.status, 400);
    assert.equal(token.body.errcode, "M_UNKNOWN");
    const phone = await t.request("POST", `${V3}/login`, {
      body: { type: "m.login.password", identifier: { type: "m.id.phone", country: "GB", phone: "1" }, password: "pw" },
    });
    assert.equal(phone.status, 403);
    assert.equal(phone.body.errcode, "M_FORBIDDEN");
  });

  it("a login without a user or password is M_MISSING_PARAM; a wrong type is M_BAD_JSON", async () => {
    const noUser = await t.request("POST", `${V3}/login`, { body: { type: "m.login.password", password: "pw" } });
    assert.equal(noUser.status, 400);
    assert.equal(noUser.body.errcode, "M_MISSING_PARAM");
    const noPassword = await t.request("POST", `${V3}/login`, { body: { type: "m.login.password", user: "types" } });
    assert.equal(noPassword.status, 400);
    assert.equal(noPassword.body.errcode, "M_MISSING_PARAM");
    const numberPassword = await t.request("POST", `${V3}/login`, { body: { type: "m.login.password", user: "types", password: 5 } });
    assert.equal(numberPassword.status, 400);
    assert.equal(numberPassword.body.errcode, "M_BAD_JSON");
  });

  it("POST /logout kills the token and the device, and leaves other devices alone", async () => {
    const a = await registerUser(t, "leaver", "pw");
    const b = await t.server.deps.accounts.startSession(a.userId, null, null);
    const out = await t.request("POST", `${V3}/logout`, { token: a.token });
    assert.equal(out.status, 200);
    assert.deepEqual(out.body, {});
    const dead = await t.request("GET", `${V3}/account/whoami`, { token: a.token });
    assert.equal(dead.status, 401);
    assert.equal(dead.body.errcode, "M_UNKNOWN_TOKEN");
    assert.deepEqual((await devicesOf(a.userId)).map((d) => d.deviceId), [b.deviceId]);
    const alive = await t.request("GET", `${V3}/account/whoami`, { token: b.accessToken });
    assert.equal(alive.status, 200);
  });

  it("POST /logout/all kills every token of the user, and only theirs", async () => {
    const a = await registerUser(t, "allout", "pw");
    const a2 = await t.server.deps.accounts.startSession(a.userId, null, null);
    const other = await registerUser(t, "bystander", "pw");
    // Both tokens are in the server's token cache before the logout.
    for (const token of [a.token, a2.accessToken]) assert.equal((await t.request("GET", `${V3}/account/whoami`, { token })).status, 200);
    const out = await t.request("POST", `${V3}/logout/all`, { token: a.token });
    assert.equal(out.status, 200);
    for (const token of [a.token, a2.accessToken]) {
      const res = await t.request("GET", `${V3}/account/whoami`, { token });
      assert.equal(res.status, 401);
      assert.equal(res.body.errcode, "M_UNKNOWN_TOKEN");
    }
    assert.deepEqual(await devicesOf(a.userId), []);
    assert.equal((await t.request("GET", `${V3}/account/whoami`, { token: other.token })).status, 200);
  });

  it("tokens: missing is M_MISSING_TOKEN, unknown is M_UNKNOWN_TOKEN, ?access_token= works", async () => {
    const u = await registerUser(t, "querytoken", "pw");
    const missing = await t.request("GET", `${V3}/account/whoami`);
    assert.equal(missing.status, 401);
    assert.equal(missing.body.errcode, "M_MISSING_TOKEN");
    const unknown = await t.request("GET", `${V3}/account/whoami`, { token: "axo_nonsense" });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.errcode, "M_UNKNOWN_TOKEN");
    const query = await t.request("GET", `${V3}/account/whoami?access_token=${encodeURIComponent(u.token)}`);
    assert.equal(query.status, 200);
    assert.equal(query.body.user_id, u.userId);
    const badQuery = await t.request("GET", `${V3}/account/whoami?access_token=nope`);
    assert.equal(badQuery.status, 401);
    assert.equal(badQuery.body.errcode, "M_UNKNOWN_TOKEN");
  });

  it("logout needs a token", async () => {
    const res = await t.request("POST", `${V3}/logout`);
    assert.equal(res.status, 401);
    assert.equal(res.body.errcode, "M_MISSING_TOKEN");
  });
});
