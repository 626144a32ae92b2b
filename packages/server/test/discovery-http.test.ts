import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BUSY_FEATURE_FLAG } from "@axon/protocol";
import { createTestServer, registerUser, type TestServer, type TestUser } from "./support";

describe("discovery, health, CORS and routing", () => {
  let t: TestServer;
  let alice: TestUser;
  before(async () => {
    t = await createTestServer({ server_name: "example.test", public_baseurl: "https://matrix.example.test" });
    alice = await registerUser(t, "alice");
  });
  after(() => t.close());

  it("GET /versions needs no token and lists spec versions and the busy flag", async () => {
    const res = await t.request("GET", "/_matrix/client/versions");
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.body.versions));
    assert.ok(res.body.versions.includes("v1.11"));
    assert.ok(res.body.versions.includes("r0.6.1"));
    assert.equal(res.body.unstable_features[BUSY_FEATURE_FLAG], true);
  });

  it("GET /versions with a token, or with a stale one, still answers", async () => {
    const withToken = await t.request("GET", "/_matrix/client/versions", { token: alice.token });
    assert.equal(withToken.status, 200);
    assert.equal(withToken.body.unstable_features[BUSY_FEATURE_FLAG], true);
    const stale = await t.request("GET", "/_matrix/client/versions", { token: "not-a-token" });
    assert.equal(stale.status, 200);
  });

  it("GET /.well-known/matrix/client points at public_baseurl", async () => {
    const res = await t.request("GET", "/.well-known/matrix/client");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { "m.homeserver": { base_url: "https://matrix.example.test" } });
  });

  it("GET /health", async () => {
    const res = await t.request("GET", "/health");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: "ok" });
  });

  it("an unknown endpoint is 404 M_UNRECOGNIZED", async () => {
    for (const path of ["/_matrix/client/v3/nope", "/_matrix/client/v3/account/nope", "/nowhere"]) {
      const res = await t.request("GET", path, { token: alice.token });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.errcode, "M_UNRECOGNIZED", path);
    }
  });

  it("a known path with the wrong method is 405 M_UNRECOGNIZED", async () => {
    const cases: [string, string][] = [
      ["DELETE", "/_matrix/client/v3/login"],
      ["POST", "/_matrix/client/v3/account/whoami"],
      ["POST", "/_matrix/client/r0/account/whoami"],
      ["POST", `/_matrix/client/v3/devices/${alice.deviceId}`],
      ["PUT", "/_matrix/client/versions"],
    ];
    for (const [method, path] of cases) {
      const res = await t.request(method, path, { token: alice.token, body: {} });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.body.errcode, "M_UNRECOGNIZED", `${method} ${path}`);
    }
  });

  it("the r0 prefix is an alias of v3", async () => {
    const v3 = await t.request("GET", "/_matrix/client/v3/account/whoami", { token: alice.token });
    const r0 = await t.request("GET", "/_matrix/client/r0/account/whoami", { token: alice.token });
    assert.equal(r0.status, 200);
    assert.deepEqual(r0.body, v3.body);
    const flows = await t.request("GET", "/_matrix/client/r0/login");
    assert.deepEqual(flows.body, { flows: [{ type: "m.login.password" }] });
  });

  it("CORS preflight from another origin is allowed", async () => {
    const res = await t.request("OPTIONS", "/_matrix/client/v3/account/whoami", {
      headers: {
        origin: "https://app.element.io",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      },
    });
    assert.ok(res.status === 204 || res.status === 200, `status ${res.status}`);
    assert.equal(res.headers["access-control-allow-origin"], "*");
    assert.match(String(res.headers["access-control-allow-methods"]), /GET/);
    assert.match(String(res.headers["access-control-allow-headers"]).toLowerCase(), /authorization/);
  });

  it("CORS headers are on ordinary responses and on errors", async () => {
    const ok = await t.request("GET", "/_matrix/client/versions", { headers: { origin: "https://app.element.io" } });
    assert.equal(ok.headers["access-control-allow-origin"], "*");
    const err = await t.request("GET", "/_matrix/client/v3/account/whoami", { headers: { origin: "https://app.element.io" } });
    assert.equal(err.status, 401);
    assert.equal(err.headers["access-control-allow-origin"], "*");
  });
});

describe("discovery with busy presence off", () => {
  it("GET /versions reports the busy flag as false", async () => {
    const t = await createTestServer({ presence: { busy_presence: false } });
    try {
      const res = await t.request("GET", "/_matrix/client/versions");
      assert.equal(res.status, 200);
      assert.equal(res.body.unstable_features[BUSY_FEATURE_FLAG], false);
    } finally {
      await t.close();
    }
  });
});
