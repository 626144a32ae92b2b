// Push rule management over HTTP (GET/PUT/DELETE /pushrules/global/{kind}/{ruleId}, enabled, actions),
// answers checked against the spec, and changes reaching the user's other devices through /sync.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertMatchesSpec, specUnavailable, specValidators, type SchemaCheck } from "./spec-schemas";
import { createTestServer, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const spec = specUnavailable();
if (spec) console.log(`# ${spec}`);
const schema = async (path: string, method: string): Promise<SchemaCheck> =>
  spec ? () => [] : specValidators().responseValidator("pushrules.yaml", path, method, 200);

describe("push rules over HTTP", () => {
  let t: TestServer;
  let a: TestUser;
  before(async () => {
    t = await createTestServer();
    a = await registerUser(t);
  });
  after(() => t.close());

  const rule = (kind: string, id: string, suffix = "") => `${V3}/pushrules/global/${kind}/${encodeURIComponent(id)}${suffix}`;
  const ids = async (kind: string): Promise<string[]> =>
    ((await t.request("GET", `${V3}/pushrules/`, { token: a.token })).body.global[kind] as { rule_id: string }[]).map((r) => r.rule_id);

  it("serves the defaults, then the user's rules in order (before/after), and the changes reach another device's /sync", async () => {
    const all = await t.request("GET", `${V3}/pushrules/`, { token: a.token });
    assert.equal(all.status, 200);
    assertMatchesSpec(await schema("/pushrules/", "get"), all.body, "GET /pushrules/");
    assert.equal(all.body.global.override[0].rule_id, ".m.rule.master");
    // A's other device follows the changes through /sync.
    const phone = (await t.server.deps.accounts.startSession(a.userId, null, null)).accessToken;
    const first = await t.request("GET", `${V3}/sync`, { token: phone });

    assert.equal((await t.request("PUT", rule("room", "!quiet:localhost"), { token: a.token, body: { actions: [] } })).status, 200);
    assert.equal((await t.request("PUT", rule("override", "one"), { token: a.token, body: { actions: ["notify"], conditions: [{ kind: "event_match", key: "type", pattern: "x.*" }] } })).status, 200);
    assert.equal((await t.request("PUT", `${rule("override", "two")}?after=one`, { token: a.token, body: { actions: ["dont_notify"], conditions: [] } })).status, 200);
    assert.equal((await t.request("PUT", `${rule("override", "zero")}?before=one`, { token: a.token, body: { actions: ["notify"] } })).status, 200);
    const overrides = await ids("override");
    assert.deepEqual(overrides.slice(0, 4), [".m.rule.master", "zero", "one", "two"], "user overrides after the master rule, in the asked order");
    assert.deepEqual((await ids("room"))[0], "!quiet:localhost");

    const one = await t.request("GET", rule("override", "one"), { token: a.token });
    assertMatchesSpec(await schema("/pushrules/global/{kind}/{ruleId}", "get"), one.body, "GET rule");
    assert.deepEqual(one.body, { rule_id: "one", default: false, enabled: true, actions: ["notify"], conditions: [{ kind: "event_match", key: "type", pattern: "x.*" }] });

    // Updating in place keeps the position; enabled and actions work on the server's rules too.
    assert.equal((await t.request("PUT", rule("override", "one"), { token: a.token, body: { actions: [] } })).status, 200);
    assert.deepEqual((await ids("override")).slice(1, 4), ["zero", "one", "two"]);
    assert.equal((await t.request("PUT", rule("override", ".m.rule.master", "/enabled"), { token: a.token, body: { enabled: true } })).status, 200);
    assert.deepEqual((await t.request("GET", rule("override", ".m.rule.master", "/enabled"), { token: a.token })).body, { enabled: true });
    const sound = [{ set_tweak: "sound", value: "bell" }, "notify"];
    assert.equal((await t.request("PUT", rule("underride", ".m.rule.message", "/actions"), { token: a.token, body: { actions: sound } })).status, 200);
    assert.deepEqual((await t.request("GET", rule("underride", ".m.rule.message", "/actions"), { token: a.token })).body, { actions: sound });

    const next = await t.request("GET", `${V3}/sync?since=${first.body.next_batch}`, { token: phone });
    const data = (next.body.account_data?.events ?? []).find((e: { type: string }) => e.type === "m.push_rules");
    assert.ok(data, "m.push_rules in account_data");
    assert.equal(data.content.global.override[0].enabled, true, "the master rule enabled, seen by other devices");
    assert.deepEqual(data.content.global.underride.find((r: { rule_id: string }) => r.rule_id === ".m.rule.message").actions, sound);

    // Deleting a user rule; the server's rules cannot be deleted.
    assert.equal((await t.request("DELETE", rule("override", "two"), { token: a.token })).status, 200);
    assert.equal((await t.request("GET", rule("override", "two"), { token: a.token })).status, 404);
    const cant = await t.request("DELETE", rule("override", ".m.rule.master"), { token: a.token });
    assert.equal(cant.status, 400);
  });

  it("refuses bad requests with Matrix errors and changes nothing", async () => {
    const b = await registerUser(t);
    const before = JSON.stringify((await t.request("GET", `${V3}/pushrules/`, { token: b.token })).body);
    const cases: [string, string, unknown, number, string][] = [
      ["PUT", rule("override", ".mine"), { actions: [] }, 400, "M_INVALID_PARAM"],
      ["PUT", rule("sideways", "x"), { actions: [] }, 400, "M_INVALID_PARAM"],
      ["PUT", `${V3}/pushrules/device/override/x`, { actions: [] }, 400, "M_INVALID_PARAM"],
      ["PUT", rule("override", "x"), {}, 400, "M_MISSING_PARAM"],
      ["PUT", rule("override", "x"), { actions: "notify" }, 400, "M_BAD_JSON"],
      ["PUT", rule("override", "x"), { actions: ["shout"] }, 400, "M_INVALID_PARAM"],
      ["PUT", rule("override", "x"), { actions: [], conditions: [{ key: "type" }] }, 400, "M_MISSING_PARAM"],
      ["PUT", rule("content", "x"), { actions: [] }, 400, "M_MISSING_PARAM"],
      ["PUT", `${rule("override", "x")}?before=nope`, { actions: [] }, 404, "M_NOT_FOUND"],
      ["PUT", `${rule("override", "x")}?after=.m.rule.master`, { actions: [] }, 400, "M_INVALID_PARAM"],
      ["GET", rule("override", "nope"), undefined, 404, "M_NOT_FOUND"],
      ["DELETE", rule("room", "nope"), undefined, 404, "M_NOT_FOUND"],
      ["PUT", rule("override", "nope", "/enabled"), { enabled: true }, 404, "M_NOT_FOUND"],
      ["PUT", rule("override", ".m.rule.master", "/enabled"), { enabled: "yes" }, 400, "M_BAD_JSON"],
      ["PUT", rule("underride", ".m.rule.message", "/actions"), { actions: [{ set_tweak: "" }] }, 400, "M_INVALID_PARAM"],
    ];
    for (const [method, path, body, status, errcode] of cases) {
      const res = await t.request(method, path, { token: b.token, body });
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.errcode, errcode, `${method} ${path} ${JSON.stringify(body)}`);
    }
    const notJson = await t.request("PUT", rule("override", "x"), { token: b.token, rawBody: "{nope" });
    assert.equal(notJson.body.errcode, "M_NOT_JSON");
    assert.equal((await t.request("GET", `${V3}/pushrules/`)).status, 401);
    assert.equal(JSON.stringify((await t.request("GET", `${V3}/pushrules/`, { token: b.token })).body), before, "nothing changed");
  });
});
