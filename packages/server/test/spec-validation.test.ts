// What the server answers, checked against the Matrix spec's own response schemas.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createTestServer, type TestServer } from "./support";

const skip = specUnavailable() ?? false;
if (skip) console.log(`# ${skip}`);

describe("responses match the Matrix spec schemas", { skip }, () => {
  let t: TestServer;
  before(async () => {
    t = await createTestServer();
  });
  after(async () => {
    await t.close();
  });

  test("GET /versions (with and without busy presence advertised)", async () => {
    const check = await specValidators().responseValidator("versions.yaml", "/versions", "get", 200);
    const res = await t.request("GET", "/_matrix/client/versions");
    assert.equal(res.status, 200);
    assertMatchesSpec(check, res.body, "GET /versions");
    assert.equal(res.body.unstable_features["org.matrix.msc3026.busy_presence"], true);

    const off = await createTestServer({ presence: { busy_presence: false } });
    try {
      const r = await off.request("GET", "/_matrix/client/versions");
      assertMatchesSpec(check, r.body, "GET /versions (busy off)");
      assert.equal(r.body.unstable_features["org.matrix.msc3026.busy_presence"], false);
    } finally {
      await off.close();
    }
  });

  test("GET /login and POST /login (identifier and legacy user)", async () => {
    const v = specValidators();
    const flows = await v.responseValidator("login.yaml", "/login", "get", 200);
    const res = await t.request("GET", "/_matrix/client/v3/login");
    assert.equal(res.status, 200);
    assertMatchesSpec(flows, res.body, "GET /login");

    await t.server.deps.accounts.createUser("specalice", "pw pw pw");
    const ok = await v.responseValidator("login.yaml", "/login", "post", 200);
    const request = await v.requestValidator("login.yaml", "/login", "post");
    for (const body of [
      { type: "m.login.password", identifier: { type: "m.id.user", user: "specalice" }, password: "pw pw pw" },
      { type: "m.login.password", user: "@specalice:localhost", password: "pw pw pw" },
    ]) {
      assertMatchesSpec(request, body, "POST /login request (our own test input)");
      const r = await t.request("POST", "/_matrix/client/v3/login", { body });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assertMatchesSpec(ok, r.body, "POST /login 200");
    }

    const bad = await v.responseValidator("login.yaml", "/login", "post", 403);
    const r = await t.request("POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: "specalice" }, password: "nope" },
    });
    assert.equal(r.status, 403);
    assertMatchesSpec(bad, r.body, "POST /login 403");
  });

  test("GET /account/whoami", async () => {
    await t.server.deps.accounts.createUser("specbob", "pw pw pw");
    const login = await t.request("POST", "/_matrix/client/v3/login", { body: { type: "m.login.password", user: "specbob", password: "pw pw pw" } });
    const check = await specValidators().responseValidator("whoami.yaml", "/account/whoami", "get", 200);
    const r = await t.request("GET", "/_matrix/client/v3/account/whoami", { token: login.body.access_token });
    assert.equal(r.status, 200);
    assertMatchesSpec(check, r.body, "GET /account/whoami");
  });
});
