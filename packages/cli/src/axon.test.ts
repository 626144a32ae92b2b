import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freshDatabase } from "../../server/test/databases";
import { createTestServer } from "../../server/test/support";
import { axon, bin, root } from "./run-axon";

const dir = mkdtempSync(join(tmpdir(), "axon-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function waitForText(read: () => string, text: string): Promise<void> {
  for (let i = 0; i < 200 && !read().includes(text); i++) await new Promise((r) => setTimeout(r, 25));
}

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("axon user add", () => {
  it("creates a user from --password-file who can then log in over HTTP; a duplicate fails clearly", async () => {
    const db = await freshDatabase("sqlite");
    try {
      const pw = file("alice.pw", "s3cret-password\nignored second line\n");
      const ok = await axon(["user", "add", "alice", "--password-file", pw, "--database-url", db.url]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout.trim(), "@alice:localhost");

      const dup = await axon(["user", "add", "alice", "--password-file", pw, "--database-url", db.url]);
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, /M_USER_IN_USE/);
      assert.match(dup.stderr, /taken/i);

      const t = await createTestServer({}, { db });
      try {
        const login = await t.request("POST", "/_matrix/client/v3/login", {
          body: { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "s3cret-password" },
        });
        assert.equal(login.status, 200);
        assert.equal(login.body.user_id, "@alice:localhost");
        const wrong = await t.request("POST", "/_matrix/client/v3/login", {
          body: { type: "m.login.password", user: "alice", password: "ignored second line" },
        });
        assert.equal(wrong.status, 403);
      } finally {
        await t.close();
      }
    } finally {
      await db.cleanup();
    }
  });

  it("reads the password from stdin when it is not a terminal, and honours --config and --admin", async () => {
    const db = await freshDatabase("sqlite");
    try {
      const cfg = file("user-add.yaml", `server_name: example.test\ndatabase:\n  url: "${db.url}"\n`);
      const res = await axon(["user", "add", "Bob", "--admin", "--config", cfg], "piped-pw\n");
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), "@bob:example.test");
      const open = await db.open();
      try {
        const row = await open.db.selectFrom("users").selectAll().where("user_id", "=", "@bob:example.test").executeTakeFirstOrThrow();
        assert.equal(row.is_admin, 1);
      } finally {
        await open.close();
      }
    } finally {
      await db.cleanup();
    }
  });

  it("an empty password or an invalid name is refused", async () => {
    const db = await freshDatabase("sqlite");
    try {
      const empty = await axon(["user", "add", "carol", "--password-file", file("empty.pw", "\n"), "--database-url", db.url]);
      assert.notEqual(empty.code, 0);
      assert.match(empty.stderr, /password is empty/);
      const bad = await axon(["user", "add", "bad name", "--password-file", file("ok.pw", "pw\n"), "--database-url", db.url]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /M_INVALID_USERNAME/);
    } finally {
      await db.cleanup();
    }
  });
});

describe("axon serve", () => {
  it("refuses a config with an unknown key, naming it", async () => {
    const cfg = file("bad.yaml", "listen:\n  port: 0\n  hots: 0.0.0.0\n");
    const res = await axon(["serve", "--config", cfg]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /unknown key listen\.hots/);
  });

  it("refuses a missing config file, naming it", async () => {
    const missing = join(dir, "missing.yaml");
    const res = await axon(["serve", "--config", missing]);
    assert.notEqual(res.code, 0);
    assert.ok(res.stderr.includes(missing), res.stderr);
  });

  it("prints where it listens and where the data is, serves, and stops on SIGTERM", async () => {
    const dbPath = join(dir, "serve", "axon.db");
    const cfg = file("serve.yaml", `listen:\n  host: 127.0.0.1\n  port: 0\ndatabase:\n  url: "sqlite:${dbPath}"\nlog:\n  level: warn\n`);
    const env = { ...process.env };
    delete env.AXON_DATABASE_URL;
    const child = spawn(process.execPath, [bin, "serve", "--config", cfg], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (m?.[1]) resolve(m[1]);
        });
        void exited.then((code) => reject(new Error(`exited early (${code}): ${stderr}`)));
      });
      assert.doesNotMatch(url, /:0$/);
      const health = await fetch(`${url}/health`);
      assert.equal(health.status, 200);
      const versions = (await (await fetch(`${url}/_matrix/client/versions`)).json()) as { versions: string[] };
      assert.ok(versions.versions.length > 0);
      assert.ok(stdout.includes(dbPath), `data location missing from: ${stdout}`);
      assert.match(stdout, /axon user add/);
      // The page's address is printed, and it is there.
      await waitForText(() => stdout, "Web page:");
      assert.ok(stdout.includes(`Web page: ${url}/`), stdout);
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
