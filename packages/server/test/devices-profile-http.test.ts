import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestServer, registerUser, type TestServer } from "./support";

const V3 = "/_matrix/client/v3";

describe("devices", () => {
  let t: TestServer;
  before(async () => {
    t = await createTestServer({ server_name: "example.test" });
  });
  after(() => t.close());

  const login = async (user: string, deviceId: string, name?: string) => {
    const res = await t.request("POST", `${V3}/login`, {
      body: { type: "m.login.password", user, password: "pw", device_id: deviceId, initial_device_display_name: name },
    });
    assert.equal(res.status, 200);
    return res.body.access_token as string;
  };

  it("lists, gets and renames the caller's devices", async () => {
    await registerUser(t, "devlist", "pw");
    const phone = await login("devlist", "PHONE", "Phone");
    await login("devlist", "LAPTOP");
    const list = await t.request("GET", `${V3}/devices`, { token: phone });
    assert.equal(list.status, 200);
    const byId = new Map<string, { display_name?: string; last_seen_ts?: number }>(
      list.body.devices.map((d: { device_id: string }) => [d.device_id, d]),
    );
    assert.ok(byId.has("PHONE") && byId.has("LAPTOP"));
    assert.equal(byId.get("PHONE")?.display_name, "Phone");
    assert.equal(byId.get("LAPTOP")?.display_name, undefined);
    assert.equal(byId.get("PHONE")?.last_seen_ts, t.clock.now());

    const put = await t.request("PUT", `${V3}/devices/LAPTOP`, { token: phone, body: { display_name: "Work laptop" } });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, {});
    const got = await t.request("GET", `${V3}/devices/LAPTOP`, { token: phone });
    assert.equal(got.status, 200);
    assert.equal(got.body.device_id, "LAPTOP");
    assert.equal(got.body.display_name, "Work laptop");
  });

  it("another user's device or an unknown one is 404 M_NOT_FOUND, and a rename there changes nothing", async () => {
    await registerUser(t, "owner", "pw");
    await login("owner", "OWNDEV", "Mine");
    const intruder = await registerUser(t, "intruder", "pw");
    for (const [method, body] of [["GET", undefined], ["PUT", { display_name: "Hacked" }], ["DELETE", {}]] as const) {
      const res = await t.request(method, `${V3}/devices/OWNDEV`, { token: intruder.token, body });
      assert.equal(res.status, 404, method);
      assert.equal(res.body.errcode, "M_NOT_FOUND", method);
    }
    const dev = await t.server.deps.accounts.getDevice("@owner:example.test" as never, "OWNDEV" as never);
    assert.equal(dev.displayName, "Mine");
  });

  it("a bad rename body is refused and changes nothing", async () => {
    const u = await registerUser(t, "badrename", "pw");
    await t.request("PUT", `${V3}/devices/${u.deviceId}`, { token: u.token, body: { display_name: "Before" } });
    const bad = await t.request("PUT", `${V3}/devices/${u.deviceId}`, { token: u.token, body: { display_name: 7 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errcode, "M_BAD_JSON");
    const notJson = await t.request("PUT", `${V3}/devices/${u.deviceId}`, { token: u.token, rawBody: "nope" });
    assert.equal(notJson.body.errcode, "M_NOT_JSON");
    const got = await t.request("GET", `${V3}/devices/${u.deviceId}`, { token: u.token });
    assert.equal(got.body.display_name, "Before");
  });

  it("deleting a device kills its tokens and keeps the others", async () => {
    await registerUser(t, "deleter", "pw");
    const keep = await login("deleter", "KEEP");
    const doomed = await login("deleter", "DOOMED");
    assert.equal((await t.request("GET", `${V3}/account/whoami`, { token: doomed })).status, 200);
    // User-interactive auth: the first answer asks for the password, a wrong one is refused.
    const ask = await t.request("DELETE", `${V3}/devices/DOOMED`, { token: keep, body: {} });
    assert.equal(ask.status, 401);
    assert.deepEqual(ask.body.flows, [{ stages: ["m.login.password"] }]);
    assert.equal(typeof ask.body.session, "string");
    const auth = (password: string) => ({ type: "m.login.password", identifier: { type: "m.id.user", user: "deleter" }, password, session: ask.body.session });
    const wrong = await t.request("DELETE", `${V3}/devices/DOOMED`, { token: keep, body: { auth: auth("nope") } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.errcode, "M_FORBIDDEN");
    assert.equal((await t.request("GET", `${V3}/account/whoami`, { token: doomed })).status, 200, "still there");
    const del = await t.request("DELETE", `${V3}/devices/DOOMED`, { token: keep, body: { auth: auth("pw") } });
    assert.equal(del.status, 200);
    const dead = await t.request("GET", `${V3}/account/whoami`, { token: doomed });
    assert.equal(dead.status, 401);
    assert.equal(dead.body.errcode, "M_UNKNOWN_TOKEN");
    assert.equal((await t.request("GET", `${V3}/devices/DOOMED`, { token: keep })).status, 404);
    assert.equal((await t.request("GET", `${V3}/account/whoami`, { token: keep })).status, 200);
  });

  it("POST /delete_devices asks for the password, then deletes the named devices and skips unknown ones", async () => {
    await registerUser(t, "bulk", "pw");
    const keep = await login("bulk", "STAY");
    const one = await login("bulk", "ONE");
    const two = await login("bulk", "TWO");
    const body = { devices: ["ONE", "TWO", "NOT_MINE"] };
    const ask = await t.request("POST", `${V3}/delete_devices`, { token: keep, body });
    assert.equal(ask.status, 401);
    assert.deepEqual(ask.body.flows, [{ stages: ["m.login.password"] }]);
    const someoneElse = { type: "m.login.password", identifier: { type: "m.id.user", user: "deleter" }, password: "pw" };
    assert.equal((await t.request("POST", `${V3}/delete_devices`, { token: keep, body: { ...body, auth: someoneElse } })).status, 401);
    const ok = await t.request("POST", `${V3}/delete_devices`, { token: keep, body: { ...body, auth: { ...someoneElse, identifier: { type: "m.id.user", user: "bulk" } } } });
    assert.equal(ok.status, 200);
    for (const tok of [one, two]) assert.equal((await t.request("GET", `${V3}/account/whoami`, { token: tok })).status, 401);
    assert.equal((await t.request("GET", `${V3}/account/whoami`, { token: keep })).status, 200);
    assert.equal((await t.request("POST", `${V3}/delete_devices`, { token: keep, body: { devices: "x" } })).body.errcode, "M_BAD_JSON");
  });

  it("devices need a token", async () => {
    const res = await t.request("GET", `${V3}/devices`);
    assert.equal(res.status, 401);
    assert.equal(res.body.errcode, "M_MISSING_TOKEN");
  });
});

describe("profile and capabilities", () => {
  let t: TestServer;
  before(async () => {
    t = await createTestServer({ server_name: "example.test" });
  });
  after(() => t.close());

  it("a fresh profile is empty; set displayname and avatar_url, read them back (no token needed to read)", async () => {
    const u = await registerUser(t, "prof", "pw");
    const empty = await t.request("GET", `${V3}/profile/${encodeURIComponent(u.userId)}`);
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body, {});
    const dn = await t.request("PUT", `${V3}/profile/${encodeURIComponent(u.userId)}/displayname`, { token: u.token, body: { displayname: "Prof" } });
    assert.equal(dn.status, 200);
    const av = await t.request("PUT", `${V3}/profile/${encodeURIComponent(u.userId)}/avatar_url`, {
      token: u.token,
      body: { avatar_url: "mxc://example.test/abc" },
    });
    assert.equal(av.status, 200);
    const full = await t.request("GET", `${V3}/profile/${encodeURIComponent(u.userId)}`);
    assert.deepEqual(full.body, { displayname: "Prof", avatar_url: "mxc://example.test/abc" });
    const one = await t.request("GET", `${V3}/profile/${encodeURIComponent(u.userId)}/displayname`);
    assert.deepEqual(one.body, { displayname: "Prof" });
    const two = await t.request("GET", `/_matrix/client/r0/profile/${encodeURIComponent(u.userId)}/avatar_url`);
    assert.deepEqual(two.body, { avatar_url: "mxc://example.test/abc" });
    // null clears it.
    await t.request("PUT", `${V3}/profile/${encodeURIComponent(u.userId)}/displayname`, { token: u.token, body: { displayname: null } });
    assert.deepEqual((await t.request("GET", `${V3}/profile/${encodeURIComponent(u.userId)}`)).body, { avatar_url: "mxc://example.test/abc" });
  });

  it("changing someone else's profile is 403 M_FORBIDDEN and changes nothing", async () => {
    const victim = await registerUser(t, "victim", "pw");
    const mallory = await registerUser(t, "mallory", "pw");
    await t.request("PUT", `${V3}/profile/${encodeURIComponent(victim.userId)}/displayname`, { token: victim.token, body: { displayname: "Victim" } });
    for (const [field, body] of [["displayname", { displayname: "Owned" }], ["avatar_url", { avatar_url: "mxc://evil/x" }]] as const) {
      const res = await t.request("PUT", `${V3}/profile/${encodeURIComponent(victim.userId)}/${field}`, { token: mallory.token, body });
      assert.equal(res.status, 403, field);
      assert.equal(res.body.errcode, "M_FORBIDDEN", field);
    }
    assert.deepEqual((await t.request("GET", `${V3}/profile/${encodeURIComponent(victim.userId)}`)).body, { displayname: "Victim" });
  });

  it("an unknown user's profile is 404 M_NOT_FOUND; a malformed id too", async () => {
    const res = await t.request("GET", `${V3}/profile/${encodeURIComponent("@ghost:example.test")}`);
    assert.equal(res.status, 404);
    assert.equal(res.body.errcode, "M_NOT_FOUND");
    const bad = await t.request("GET", `${V3}/profile/notauserid`);
    assert.equal(bad.status, 404);
  });

  it("a wrong-typed displayname is M_BAD_JSON and changes nothing", async () => {
    const u = await registerUser(t, "typed", "pw");
    await t.request("PUT", `${V3}/profile/${encodeURIComponent(u.userId)}/displayname`, { token: u.token, body: { displayname: "Kept" } });
    const res = await t.request("PUT", `${V3}/profile/${encodeURIComponent(u.userId)}/displayname`, { token: u.token, body: { displayname: ["x"] } });
    assert.equal(res.status, 400);
    assert.equal(res.body.errcode, "M_BAD_JSON");
    assert.deepEqual((await t.request("GET", `${V3}/profile/${encodeURIComponent(u.userId)}`)).body, { displayname: "Kept" });
  });

  it("GET /capabilities", async () => {
    const u = await registerUser(t, "caps", "pw");
    const res = await t.request("GET", `${V3}/capabilities`, { token: u.token });
    assert.equal(res.status, 200);
    const caps = res.body.capabilities;
    assert.equal(caps["m.change_password"].enabled, false);
    assert.equal(caps["m.set_displayname"].enabled, true);
    assert.equal(caps["m.set_avatar_url"].enabled, true);
    assert.equal(typeof caps["m.room_versions"].default, "string");
    assert.equal(caps["m.room_versions"].available[caps["m.room_versions"].default], "stable");
    const anon = await t.request("GET", `${V3}/capabilities`);
    assert.equal(anon.status, 401);
  });
});
