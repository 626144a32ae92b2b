import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hashPassword, verifyPassword } from "../src/accounts/password";
import { hashToken, newAccessToken } from "../src/accounts/tokens";
import { createTestServer, type TestServer } from "./support";

const V3 = "/_matrix/client/v3";

describe("secrets at rest", () => {
  let t: TestServer;
  let token: string;
  const password = "tr0ub4dor&3-secret";
  before(async () => {
    t = await createTestServer({ server_name: "example.test" });
    const res = await t.request("POST", `${V3}/register`, { body: { username: "sec", password, auth: { type: "m.login.dummy" } } });
    assert.equal(res.status, 200);
    token = res.body.access_token;
  });
  after(() => t.close());

  it("the password is stored as a salted scrypt hash, not the password", async () => {
    const row = await t.server.database.db.selectFrom("users").selectAll().where("user_id", "=", "@sec:example.test").executeTakeFirstOrThrow();
    assert.ok(row.password_hash);
    assert.match(row.password_hash, /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.ok(!row.password_hash.includes(password));
    assert.ok(Number(row.password_hash.split("$")[1]) >= 1 << 14, "scrypt cost must be slow");
  });

  it("the access token is stored only as a hash", async () => {
    const rows = await t.server.database.db.selectFrom("access_tokens").selectAll().execute();
    assert.ok(rows.length > 0);
    for (const r of rows) {
      assert.notEqual(r.token_hash, token);
      assert.ok(!r.token_hash.includes(token));
    }
    assert.ok(rows.some((r) => r.token_hash === hashToken(token)));
    // Nothing anywhere in the account tables holds the raw token.
    const everything = JSON.stringify([
      await t.server.database.db.selectFrom("users").selectAll().execute(),
      await t.server.database.db.selectFrom("devices").selectAll().execute(),
      rows,
    ]);
    assert.ok(!everything.includes(token));
    assert.ok(!everything.includes(password));
  });

  it("a token copied from the database does not authenticate", async () => {
    const res = await t.request("GET", `${V3}/account/whoami`, { token: hashToken(token) });
    assert.equal(res.status, 401);
    assert.equal(res.body.errcode, "M_UNKNOWN_TOKEN");
  });
});

describe("password and token primitives", () => {
  it("the same password hashes differently each time and verifies only itself", async () => {
    const a = await hashPassword("pw");
    const b = await hashPassword("pw");
    assert.notEqual(a, b);
    assert.equal(await verifyPassword("pw", a), true);
    assert.equal(await verifyPassword("pw", b), true);
    assert.equal(await verifyPassword("pW", a), false);
    assert.equal(await verifyPassword("pw", "plain-text"), false);
  });

  it("access tokens carry at least 128 random bits and never repeat", () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 200; i++) tokens.add(newAccessToken());
    assert.equal(tokens.size, 200);
    for (const tok of tokens) {
      const random = tok.replace(/^axo_/, "");
      assert.match(random, /^[A-Za-z0-9_-]+$/);
      // base64url carries 6 bits per character.
      assert.ok(random.length * 6 >= 128, `${random.length} chars`);
    }
  });
});
