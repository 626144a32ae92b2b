import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { FakeClock } from "../src/clock";
import { buildConfig } from "../src/config";
import { createServer } from "../src/main";
import { freshDatabase } from "./databases";
import { createTestServer, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";

describe("client mistakes are Matrix errors", () => {
  let t: TestServer;
  let u: TestUser;
  const displayname = async () => (await t.server.deps.accounts.getUser(u.userId))?.displayname;
  const putName = (opts: { body?: unknown; rawBody?: string; headers?: Record<string, string> }) =>
    t.request("PUT", `${V3}/profile/${encodeURIComponent(u.userId)}/displayname`, { token: u.token, ...opts });

  before(async () => {
    t = await createTestServer({ server_name: "example.test" });
    u = await registerUser(t, "errs", "pw");
    assert.equal((await putName({ body: { displayname: "Original" } })).status, 200);
  });
  after(() => t.close());

  it("bad JSON is 400 M_NOT_JSON and changes nothing", async () => {
    for (const rawBody of ["{", "{displayname: 'x'}", "not json at all", "{\"displayname\": \"x\"} trailing"]) {
      const res = await putName({ rawBody });
      assert.equal(res.status, 400, rawBody);
      assert.equal(res.body.errcode, "M_NOT_JSON", rawBody);
      assert.equal(typeof res.body.error, "string");
    }
    assert.equal(await displayname(), "Original");
  });

  it("an empty body where one is required is M_NOT_JSON", async () => {
    const res = await putName({ rawBody: "" });
    assert.equal(res.status, 400);
    assert.equal(res.body.errcode, "M_NOT_JSON");
  });

  it("JSON that is not an object is 400 M_BAD_JSON and changes nothing", async () => {
    for (const rawBody of ["[]", "[{\"displayname\":\"x\"}]", "\"x\"", "42", "null"]) {
      const res = await putName({ rawBody });
      assert.equal(res.status, 400, rawBody);
      assert.equal(res.body.errcode, "M_BAD_JSON", rawBody);
    }
    assert.equal(await displayname(), "Original");
  });

  it("a wrong-typed field is M_BAD_JSON; a missing one M_MISSING_PARAM", async () => {
    const wrong = await putName({ body: { displayname: { nested: true } } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.errcode, "M_BAD_JSON");
    assert.match(wrong.body.error, /displayname/);
    const missing = await t.request("POST", `${V3}/login`, { body: { type: "m.login.password", user: "errs" } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errcode, "M_MISSING_PARAM");
    assert.match(missing.body.error, /password/);
    assert.equal(await displayname(), "Original");
  });

  it("the body is parsed whatever the content type says", async () => {
    const res = await putName({ rawBody: JSON.stringify({ displayname: "Plain" }), headers: { "content-type": "text/plain" } });
    assert.equal(res.status, 200);
    assert.equal(await displayname(), "Plain");
    await putName({ body: { displayname: "Original" } });
  });

  it("a body over 1 MiB is 413 M_TOO_LARGE and changes nothing", async () => {
    const res = await putName({ rawBody: JSON.stringify({ displayname: "x".repeat(1024 * 1024 + 10) }) });
    assert.equal(res.status, 413);
    assert.equal(res.body.errcode, "M_TOO_LARGE");
    assert.equal(await displayname(), "Original");
  });

  it("a body just under the cap is read (and refused on its merits, not its size)", async () => {
    const res = await putName({ rawBody: JSON.stringify({ displayname: "x".repeat(1000 * 1000) }) });
    assert.equal(res.status, 400);
    assert.equal(res.body.errcode, "M_INVALID_PARAM");
    assert.equal(await displayname(), "Original");
  });
});

/** A server whose log lines land in an array, at debug. */
async function loggedServer() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const db = await freshDatabase("sqlite");
  const config = buildConfig({ database: { url: db.url }, listen: { port: 0 }, log: { level: "debug" } });
  const server = await createServer(config, { clock: new FakeClock(), logger: pino({ level: "debug" }, sink) });
  return {
    server,
    lines,
    async close() {
      await server.close();
      await db.cleanup();
    },
  };
}

describe("logging and unexpected errors", () => {
  it("logs one debug line per request with method, path (no query) and status", async () => {
    const s = await loggedServer();
    try {
      await s.server.app.inject({ method: "GET", url: "/_matrix/client/versions" });
      await s.server.app.inject({ method: "GET", url: `${V3}/account/whoami?access_token=secret-token` });
      const requests = s.lines.filter((l) => l.msg === "request");
      assert.equal(requests.length, 2);
      assert.deepEqual(
        requests.map((r) => [r.level, r.method, r.url, r.status]),
        [
          [20, "GET", "/_matrix/client/versions", 200],
          [20, "GET", `${V3}/account/whoami`, 401],
        ],
      );
      assert.ok(!JSON.stringify(s.lines).includes("secret-token"), "the access token must not be logged");
    } finally {
      await s.close();
    }
  });

  it("a thrown non-Matrix error is 500 M_UNKNOWN with no stack in the body, logged once with context", async () => {
    const s = await loggedServer();
    try {
      s.server.app.get("/test/explode", async () => {
        throw new Error("kaboom: internal detail");
      });
      const res = await s.server.app.inject({ method: "GET", url: "/test/explode?x=1" });
      assert.equal(res.statusCode, 500);
      const body = JSON.parse(res.body) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ["errcode", "error"]);
      assert.equal(body.errcode, "M_UNKNOWN");
      assert.ok(!res.body.includes("kaboom"), "the error message stays on the server");
      assert.ok(!res.body.includes("at "), "no stack trace in the response");
      const errors = s.lines.filter((l) => typeof l.level === "number" && l.level >= 50);
      assert.equal(errors.length, 1);
      const [logged] = errors;
      assert.equal(logged?.url, "/test/explode");
      assert.equal(logged?.method, "GET");
      assert.match(JSON.stringify(logged?.err), /kaboom/);
    } finally {
      await s.close();
    }
  });
});
