// Extended profile fields (spec v1.16, MSC4133) over HTTP, answers checked against the spec's schemas.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertMatchesSpec, specUnavailable, specValidators, type SchemaCheck } from "./spec-schemas";
import { createTestServer, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const FIELD = "/profile/{userId}/{keyName}";
const spec = specUnavailable();
if (spec) console.log(`# ${spec}`);

/** A response schema of profile.yaml, or a check that accepts anything when the spec is absent (said above). */
async function profileSchema(path: string, method: string, status: number): Promise<SchemaCheck> {
  if (spec) return () => [];
  return specValidators().responseValidator("profile.yaml", path, method, status);
}

describe("extended profile fields", () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  before(async () => {
    t = await createTestServer();
    alice = await registerUser(t);
    bob = await registerUser(t);
  });
  after(async () => {
    await t.close();
  });

  const url = (u: TestUser | string, key?: string) =>
    `${V3}/profile/${encodeURIComponent(typeof u === "string" ? u : u.userId)}${key === undefined ? "" : `/${encodeURIComponent(key)}`}`;
  const put = (u: TestUser, key: string, body: unknown, as: TestUser = u) => t.request("PUT", url(u, key), { token: as.token, body });
  const del = (u: TestUser, key: string, as: TestUser = u) => t.request("DELETE", url(u, key), { token: as.token });

  it("PUT, GET and DELETE a custom field and m.tz; GET /profile holds them; anyone may read", async () => {
    const ok = await profileSchema(FIELD, "put", 200);
    const got = await profileSchema(FIELD, "get", 200);
    const whole = await profileSchema("/profile/{userId}", "get", 200);
    const deleted = await profileSchema(FIELD, "delete", 200);

    const status = { text: "Lunch", emoji: "🥪" };
    for (const [key, value] of [["m.tz", "Europe/Paris"], ["org.matrix.msc4426.status", status], ["org.example.n", null], ["org.example.list", [1, "two", { three: 3 }]]] as const) {
      const r = await put(alice, key, { [key]: value });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assertMatchesSpec(ok, r.body, `PUT ${key}`);
      const g = await t.request("GET", url(alice, key));
      assert.equal(g.status, 200);
      assertMatchesSpec(got, g.body, `GET ${key}`);
      assert.deepEqual(g.body, { [key]: value }, "null is stored as null, not as a deletion");
    }
    await put(alice, "displayname", { displayname: "Alice" });
    const all = await t.request("GET", url(alice), { token: bob.token });
    assert.equal(all.status, 200);
    assertMatchesSpec(whole, all.body, "GET /profile");
    assert.deepEqual(all.body, {
      displayname: "Alice",
      "m.tz": "Europe/Paris",
      "org.matrix.msc4426.status": status,
      "org.example.n": null,
      "org.example.list": [1, "two", { three: 3 }],
    });

    const d = await del(alice, "org.example.list");
    assert.equal(d.status, 200);
    assertMatchesSpec(deleted, d.body, "DELETE");
    assert.equal((await t.request("GET", url(alice, "org.example.list"))).status, 404);
    assert.equal((await del(alice, "org.example.list")).status, 200, "deleting an absent field is fine");
    assert.equal(Object.hasOwn((await t.request("GET", url(alice))).body, "org.example.list"), false);
  });

  it("displayname and avatar_url through the generic endpoint stay in step with their own endpoints", async () => {
    const u = await registerUser(t);
    await put(u, "avatar_url", { avatar_url: "mxc://example.test/abc" });
    await put(u, "displayname", { displayname: "Dee" });
    assert.deepEqual((await t.request("GET", url(u, "displayname"))).body, { displayname: "Dee" });
    assert.deepEqual((await t.request("GET", url(u))).body, { displayname: "Dee", avatar_url: "mxc://example.test/abc" });
    const info = await t.server.deps.accounts.getUser(u.userId);
    assert.equal(info?.displayname, "Dee");

    assert.equal((await del(u, "displayname")).status, 200);
    assert.equal((await del(u, "avatar_url")).status, 200);
    assert.equal((await t.server.deps.accounts.getUser(u.userId))?.displayname, null);
    assert.deepEqual((await t.request("GET", url(u))).body, {});
    // The service's own path for them (what DELETE uses) checks values as the spec says.
    await assert.rejects(t.server.deps.profileFields.set(u.userId, "avatar_url", "https://x.test/a.png"), { errcode: "M_INVALID_PARAM" });
    await t.server.deps.profileFields.set(u.userId, "displayname", "Via service");
    assert.deepEqual((await t.request("GET", url(u, "displayname"))).body, { displayname: "Via service" });
  });

  it("reads that find nothing are 404 M_NOT_FOUND", async () => {
    const notFound = await profileSchema("/profile/{userId}", "get", 404);
    for (const path of [url(alice, "org.example.never"), url("@ghost:localhost", "m.tz"), url("not-a-user", "m.tz")]) {
      const r = await t.request("GET", path);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.errcode, "M_NOT_FOUND");
      assertMatchesSpec(notFound, r.body, `GET ${path}`);
    }
  });

  it("only the owner writes: someone else is 403, no token is 401; nothing changes", async () => {
    const forbidden = await profileSchema(FIELD, "put", 403);
    const forbiddenDelete = await profileSchema(FIELD, "delete", 403);
    await put(bob, "org.example.mine", { "org.example.mine": 1 });
    const r = await put(bob, "org.example.mine", { "org.example.mine": 2 }, alice);
    assert.equal(r.status, 403);
    assert.equal(r.body.errcode, "M_FORBIDDEN");
    assertMatchesSpec(forbidden, r.body, "PUT someone else's field");
    const d = await del(bob, "org.example.mine", alice);
    assert.equal(d.status, 403);
    assertMatchesSpec(forbiddenDelete, d.body, "DELETE someone else's field");
    const anon = await t.request("PUT", url(bob, "org.example.mine"), { body: { "org.example.mine": 3 } });
    assert.equal(anon.status, 401);
    assert.equal(anon.body.errcode, "M_MISSING_TOKEN");
    assert.deepEqual((await t.request("GET", url(bob, "org.example.mine"))).body, { "org.example.mine": 1 });
  });

  it("bad keys and bodies are the spec's 400s, never a 500", async () => {
    const bad = await profileSchema(FIELD, "put", 400);
    const badDelete = await profileSchema(FIELD, "delete", 400);
    const cases: [string, { body?: unknown; rawBody?: string }, string][] = [
      ["Org.Example", { body: { "Org.Example": 1 } }, "M_INVALID_PARAM"],
      ["nodots", { body: { nodots: 1 } }, "M_INVALID_PARAM"],
      ["org..example", { body: { "org..example": 1 } }, "M_INVALID_PARAM"],
      ["org.example/x", { body: { "org.example/x": 1 } }, "M_INVALID_PARAM"],
      [`org.${"a".repeat(252)}`, { body: { x: 1 } }, "M_KEY_TOO_LARGE"],
      ["org.example.f", { body: { other: 1 } }, "M_MISSING_PARAM"],
      ["org.example.f", { body: {} }, "M_MISSING_PARAM"],
      ["org.example.f", { rawBody: "{not json" }, "M_BAD_JSON"],
      ["org.example.f", { body: ["org.example.f"] }, "M_BAD_JSON"],
      ["m.tz", { body: { "m.tz": 5 } }, "M_INVALID_PARAM"],
      ["m.tz", { body: { "m.tz": null } }, "M_INVALID_PARAM"],
    ];
    for (const [key, opts, errcode] of cases) {
      const r = await t.request("PUT", url(alice, key), { token: alice.token, ...opts });
      assert.equal(r.status, 400, `${key}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.errcode, errcode, key);
      assertMatchesSpec(bad, r.body, `PUT ${key}`);
    }
    // 255 bytes is allowed; 256 is not.
    const longest = `org.${"a".repeat(251)}`;
    assert.equal((await put(alice, longest, { [longest]: true })).status, 200);
    for (const key of ["Bad.Key", `org.${"a".repeat(252)}`]) {
      const r = await del(alice, key);
      assert.equal(r.status, 400);
      assertMatchesSpec(badDelete, r.body, `DELETE ${key}`);
      assert.equal((await t.request("GET", url(alice, key))).status, 400);
    }
  });

  it("the whole profile stays within 64 KiB: M_PROFILE_TOO_LARGE beyond, for every way of writing", async () => {
    const bad = await profileSchema(FIELD, "put", 400);
    const u = await registerUser(t);
    // {"org.example.big":"…"} is 22 bytes plus the text.
    const exact = "x".repeat(64 * 1024 - 22);
    assert.equal((await put(u, "org.example.big", { "org.example.big": exact })).status, 200, "exactly 64 KiB fits");
    const more = await put(u, "org.example.big", { "org.example.big": `${exact}y` });
    assert.equal(more.status, 400);
    assert.equal(more.body.errcode, "M_PROFILE_TOO_LARGE");
    assertMatchesSpec(bad, more.body, "PUT too large");
    assert.equal((await put(u, "m.tz", { "m.tz": "UTC" })).body.errcode, "M_PROFILE_TOO_LARGE");
    assert.equal((await put(u, "displayname", { displayname: "D" })).body.errcode, "M_PROFILE_TOO_LARGE");
    assert.equal((await put(u, "avatar_url", { avatar_url: "mxc://a/b" })).body.errcode, "M_PROFILE_TOO_LARGE");
    // Multi-byte text counts in bytes: 3 bytes each.
    const euros = "€".repeat(Math.floor((64 * 1024 - 22) / 3) + 1);
    assert.equal((await put(u, "org.example.big", { "org.example.big": euros })).body.errcode, "M_PROFILE_TOO_LARGE");
    assert.equal((await t.request("GET", url(u, "org.example.big"))).body["org.example.big"], exact, "the refused writes changed nothing");
    // Making room lets a smaller value in again.
    assert.equal((await del(u, "org.example.big")).status, 200);
    assert.equal((await put(u, "displayname", { displayname: "D" })).status, 200);
  });

  it("advertised: m.profile_fields in /capabilities, MSC4133 (stable at /v3) in /versions", async () => {
    const caps = await t.request("GET", `${V3}/capabilities`, { token: alice.token });
    assert.deepEqual(caps.body.capabilities["m.profile_fields"], { enabled: true });
    assert.equal(caps.body.capabilities["m.set_displayname"].enabled, true);
    if (!spec) assertMatchesSpec(await specValidators().responseValidator("capabilities.yaml", "/capabilities", "get", 200), caps.body, "GET /capabilities");
    const versions = await t.request("GET", "/_matrix/client/versions");
    assert.equal(versions.body.unstable_features["uk.tcpip.msc4133"], true);
    assert.equal(versions.body.unstable_features["uk.tcpip.msc4133.stable"], true);
  });
});
