// The client commands (`axon login`, `logout`, `presence set|get|watch`) as a person runs them: the real
// bin in a child process, against a real Axon listening on a port, with the session file in a temp dir.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { UserId } from "@axon/protocol";
import { addUser, callApi, startLiveServer, tokenFor, waitFor, type LiveServer } from "../../server/test/e2e/harness";
import { writeSession } from "./client/session-file";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const bin = join(root, "packages/cli/bin/axon.mjs");
const dir = mkdtempSync(join(tmpdir(), "axon-client-"));
const ANSI = /\x1b\[/; // eslint-disable-line no-control-regex

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of one run: its own session file, no colours asked for or forbidden unless the test says so. */
function envFor(session: string | null, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NO_COLOR;
  if (extra.NO_COLOR !== undefined) env.NO_COLOR = extra.NO_COLOR;
  if (session === null) delete env.AXON_SESSION;
  else env.AXON_SESSION = session;
  return env;
}

function axon(args: string[], opts: { session: string | null; input?: string; env?: Record<string, string> }): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { cwd: root, env: envFor(opts.session, opts.env), timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? "");
  });
}

/** A failure as the issue wants it: exit 1, one line on stderr starting `axon: `, no stack trace. */
function assertOneLineError(run: Run, expected: RegExp | string): void {
  assert.equal(run.code, 1, `exit code; stderr: ${run.stderr}`);
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line expected:\n${run.stderr}`);
  if (typeof expected === "string") assert.equal(lines[0], `axon: ${expected}`);
  else assert.match(lines[0]!, expected);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
}

/** A long-running `axon presence watch`: its stdout lines as they come, its exit. */
class Watcher {
  private readonly child: ChildProcessWithoutNullStreams;
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;

  constructor(args: string[], session: string, env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [bin, "presence", "watch", ...args], { cwd: root, env: envFor(session, env) });
    this.child.stdout.setEncoding("utf8").on("data", (d: string) => (this.stdout += d));
    this.child.stderr.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  get lines(): string[] {
    return this.stdout.split("\n").slice(0, -1);
  }

  async line(predicate: (line: string) => boolean, what: string): Promise<string> {
    await waitFor(() => this.lines.some(predicate) || this.child.exitCode !== null, what);
    const found = this.lines.find(predicate);
    assert.ok(found, `${what}: the watch exited (${this.child.exitCode})\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
    return found;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === "object");
  return address.port;
}

const PASSWORD = "correct horse battery";
let live: LiveServer;
let alice: UserId;
let bob: UserId;
let bobToken: string;
let n = 0;
const sessionPath = () => join(dir, `s${++n}`, "session.json");

/** A session file for a new device of `user`, as `axon login` would leave it (for tests that are not about login). */
async function sessionFor(server: LiveServer, user: UserId): Promise<{ path: string; token: string }> {
  const s = await server.server.deps.accounts.startSession(user, null, null);
  const path = sessionPath();
  writeSession({ homeserver: server.url, userId: s.userId, deviceId: s.deviceId, accessToken: s.accessToken }, path);
  return { path, token: s.accessToken };
}

/** A room `owner` creates and `others` join. */
async function sharedRoom(server: LiveServer, ownerToken: string, others: string[]): Promise<void> {
  const created = await callApi(server, "POST", "/createRoom", ownerToken, { preset: "public_chat" });
  assert.equal(created.status, 200);
  for (const token of others) assert.equal((await callApi(server, "POST", `/join/${encodeURIComponent(String(created.body.room_id))}`, token, {})).status, 200);
}

before(async () => {
  live = await startLiveServer();
  alice = await addUser(live, "alice", PASSWORD);
  bob = await addUser(live, "bob", PASSWORD);
  await addUser(live, "carol", PASSWORD); // shares no room with anyone
  bobToken = await tokenFor(live, bob);
  await sharedRoom(live, bobToken, [await tokenFor(live, alice)]);
});
after(async () => {
  await live?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("axon login, presence set and get", () => {
  it("logs in with --password-file, keeps the session 0600, and set/get use it (lines and --json)", async () => {
    const path = sessionPath();
    const missing = await axon(["login", "--homeserver", live.url, "--user", "alice", "--password-file", join(dir, "pw")], { session: path });
    assertOneLineError(missing, /^axon: cannot read .*pw: ENOENT$/);
    writeFileSync(join(dir, "pw"), `${PASSWORD}\nnot the password\n`);
    const ok = await axon(["login", "--homeserver", live.url, "--user", "alice", "--password-file", join(dir, "pw")], { session: path });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Logged in as @alice:localhost on http:\/\/127\.0\.0\.1:\d+ \(device \w+\); session saved in /);

    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(path, "..")).mode & 0o777, 0o700);
    const saved = JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
    assert.deepEqual(Object.keys(saved).sort(), ["access_token", "device_id", "homeserver", "user_id"]);
    assert.equal(saved.homeserver, live.url);
    assert.equal(saved.user_id, alice);
    const whoami = await callApi(live, "GET", "/account/whoami", saved.access_token!);
    assert.equal(whoami.body.user_id, alice);
    assert.equal(whoami.body.device_id, saved.device_id);

    const set = await axon(["presence", "set", "busy", "--status", "in a call"], { session: path });
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'You are busy: "in a call"\n');
    const server = await callApi(live, "GET", `/presence/${alice}/status`, bobToken);
    assert.equal(server.body.presence, "org.matrix.msc3026.busy");
    assert.equal(server.body.status_msg, "in a call");

    assert.equal((await callApi(live, "PUT", `/presence/${bob}/status`, bobToken, { presence: "online", status_msg: "lunch" })).status, 200);
    const [self, other, json] = await Promise.all([
      axon(["presence", "get"], { session: path }),
      axon(["presence", "get", bob], { session: path }),
      axon(["presence", "get", bob, "--json"], { session: path }),
    ]);
    // After the gets: run beside them, it could land first and make alice online before her own get.
    const setJson = await axon(["presence", "set", "online", "--json"], { session: path });
    assert.match(self.stdout, /^@alice:localhost busy "in a call"( \(active (just now|now)\))?\n$/, self.stderr);
    assert.match(other.stdout, /^@bob:localhost online "lunch" \(active (just now|now)\)\n$/, other.stderr);
    const got = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(got.user_id, bob);
    assert.equal(got.presence, "online");
    assert.equal(got.raw, "online");
    assert.equal(got.status_msg, "lunch");
    assert.equal(typeof got.last_active_ago, "number");
    assert.equal(got.currently_active, true);
    assert.deepEqual(JSON.parse(setJson.stdout), {
      user_id: alice,
      requested: "online",
      applied: "online",
      fallback: false,
      status_msg: null,
      until: null,
      until_unsupported: false,
    });
    assert.equal((await callApi(live, "GET", `/presence/${alice}/status`, bobToken)).body.presence, "online");
  });

  it("reads the password from stdin into $XDG_CONFIG_HOME/axon/session.json; a wrong password writes nothing", async () => {
    const xdg = join(dir, "xdg");
    const wrong = await axon(["login", "--homeserver", live.url, "--user", "@bob:localhost"], { session: null, input: "nope\n", env: { XDG_CONFIG_HOME: xdg } });
    assertOneLineError(wrong, "wrong user name or password");
    const file = join(xdg, "axon", "session.json");
    assert.equal(existsSync(file), false);
    const ok = await axon(["login", "--homeserver", live.url, "--user", "@bob:localhost"], { session: null, input: `${PASSWORD}\n`, env: { XDG_CONFIG_HOME: xdg } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(ok.stdout.includes(file), ok.stdout);
    assert.equal((JSON.parse(readFileSync(file, "utf8")) as { user_id: string }).user_id, bob);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it("busy on a server without the MSC3026 flag: says so, exits 0, and the user appears unavailable", async () => {
    const plain = await startLiveServer({ presence: { busy_presence: false } });
    try {
      const dan = await addUser(plain, "dan", PASSWORD);
      const { path } = await sessionFor(plain, dan);
      const set = await axon(["presence", "set", "busy", "--status", "in a call"], { session: path });
      assert.equal(set.code, 0, set.stderr);
      assert.equal(set.stdout, 'This server does not support busy; you now appear unavailable ("in a call").\n');
      const [json, get] = await Promise.all([
        axon(["presence", "set", "busy", "--json", "--status", "still"], { session: path }),
        axon(["presence", "get"], { session: path }),
      ]);
      assert.deepEqual(JSON.parse(json.stdout), {
        user_id: dan,
        requested: "busy",
        applied: "unavailable",
        fallback: true,
        status_msg: "still",
        until: null,
        until_unsupported: false,
      });
      assert.match(get.stdout, /^@dan:localhost unavailable "(in a call|still)"/);
    } finally {
      await plain.close();
    }
  });

  it("--for and --until end a status by itself; get shows the end; a server without ends says so; bad times are one-line errors", async () => {
    const erin = await addUser(live, "ender", PASSWORD);
    const { path } = await sessionFor(live, erin);
    const before = Date.now();
    const set = await axon(["presence", "set", "busy", "--status", "workshop", "--for", "90m", "--json"], { session: path });
    assert.equal(set.code, 0, set.stderr);
    const result = JSON.parse(set.stdout) as { until: number; until_unsupported: boolean; applied: string };
    assert.equal(result.applied, "busy");
    assert.equal(result.until_unsupported, false);
    assert.ok(result.until >= before + 90 * 60_000 && result.until <= Date.now() + 90 * 60_000, String(result.until));
    const server = await callApi(live, "GET", `/presence/${erin}/status`, await tokenFor(live, erin));
    assert.equal(server.body["io.axon.expires_at"], result.until);
    const [line, json] = await Promise.all([axon(["presence", "get"], { session: path }), axon(["presence", "get", "--json"], { session: path })]);
    assert.match(line.stdout, /^@ender:localhost busy "workshop" until (\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d)/, line.stderr);
    assert.equal((JSON.parse(json.stdout) as { until: number }).until, result.until);

    const both = await axon(["presence", "set", "busy", "--for", "1h", "--until", "23:59"], { session: path });
    assertOneLineError(both, "give --until or --for, not both");
    const bad = await axon(["presence", "set", "busy", "--for", "soon"], { session: path });
    assertOneLineError(bad, /is not a length of time/);

    const noEnds = await startLiveServer({ presence: { status_expiry: false } });
    try {
      const fay = await addUser(noEnds, "fay", PASSWORD);
      const other = await sessionFor(noEnds, fay);
      const said = await axon(["presence", "set", "busy", "--status", "x", "--for", "30m"], { session: other.path });
      assert.equal(said.code, 0, said.stderr);
      assert.equal(said.stdout, 'You are busy: "x". This server cannot end a status by itself: it stays until you change it.\n');
    } finally {
      await noEnds.close();
    }
  });
});

describe("client errors: one line, exit 1", () => {
  it("no session, refused connection, a user you cannot see, a bad user id, a bad state", async () => {
    const { path } = await sessionFor(live, alice);
    const port = await closedPort();
    const [none, refused, hidden, badId, badState] = await Promise.all([
      axon(["presence", "get"], { session: join(dir, "nobody", "session.json") }),
      axon(["login", "--homeserver", `http://127.0.0.1:${port}`, "--user", "alice"], { session: sessionPath(), input: "pw\n" }),
      axon(["presence", "get", "@carol:localhost"], { session: path }),
      axon(["presence", "get", "carol"], { session: path }),
      axon(["presence", "set", "happy"], { session: path }),
    ]);
    assertOneLineError(none, "not logged in; run axon login first");
    assertOneLineError(refused, `cannot reach http://127.0.0.1:${port}: connection refused`);
    assertOneLineError(hidden, "you cannot see @carol:localhost's presence (you share no room)");
    assertOneLineError(badId, '"carol" is not a user id (expected @name:server)');
    assert.notEqual(badState.code, 0);
    assert.match(badState.stderr, /'happy' is invalid.*online, busy, unavailable, offline/);
  });

  it("an expired token: get says to log in again; logout still removes the file and says so", async () => {
    const { path, token } = await sessionFor(live, alice);
    assert.equal((await callApi(live, "POST", "/logout", token, {})).status, 200);
    assertOneLineError(await axon(["presence", "get"], { session: path }), "your session has expired or was logged out; run axon login again");
    const out = await axon(["logout"], { session: path });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /already expired/);
    assert.equal(existsSync(path), false);
  });

  it("logout revokes the token on the server and deletes the session file", async () => {
    const { path, token } = await sessionFor(live, alice);
    const out = await axon(["logout"], { session: path });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^Logged out @alice:localhost \(device \w+\); removed /);
    assert.equal(existsSync(path), false);
    assert.equal((await callApi(live, "GET", "/account/whoami", token)).status, 401);
  });
});

describe("axon presence watch", () => {
  it("prints a line per change without ANSI on a pipe, leaves your own presence alone, stops on SIGINT (0) and on a revoked token (1)", async () => {
    const erin = await addUser(live, "erin", PASSWORD);
    const a = await sessionFor(live, erin);
    const b = await sessionFor(live, erin);
    await sharedRoom(live, bobToken, [a.token]);
    const plain = new Watcher(["--plain"], a.path);
    // No --plain: stdout is a pipe, so lines too; NO_COLOR set as well.
    const piped = new Watcher([], b.path, { NO_COLOR: "1" });
    try {
      const first = (line: string) => line.startsWith(`${bob} `);
      await Promise.all([plain.line(first, "bob's first line (plain)"), piped.line(first, "bob's first line (piped)")]);
      assert.equal((await callApi(live, "PUT", `/presence/${bob}/status`, bobToken, { presence: "org.matrix.msc3026.busy", status_msg: "in a call" })).status, 200);
      const busy = (line: string) => line === '@bob:localhost busy "in a call"';
      await Promise.all([plain.line(busy, "bob busy (plain)"), piped.line(busy, "bob busy (piped)")]);

      // Watching syncs with set_presence=offline: erin, who never did anything else, is still offline.
      assert.equal((await callApi(live, "GET", `/presence/${erin}/status`, bobToken)).body.presence, "offline");

      plain.signal("SIGINT");
      assert.equal(await plain.exited, 0, plain.stderr);

      // The piped watch's device is logged out; bob's next change wakes its long-poll, and the one after is refused.
      assert.equal((await callApi(live, "POST", "/logout", b.token, {})).status, 200);
      assert.equal((await callApi(live, "PUT", `/presence/${bob}/status`, bobToken, { presence: "online" })).status, 200);
      assert.equal(await piped.exited, 1);
      assert.equal(piped.stderr, "axon: your session has expired or was logged out; run axon login again\n");

      for (const w of [plain, piped]) {
        assert.doesNotMatch(w.stdout + w.stderr, ANSI);
        assert.ok(w.lines.every((l) => /^@\S+ (busy|online|unavailable|offline|unknown)( ".*")?$/.test(l)), w.stdout);
        assert.equal(w.lines.filter(busy).length, 1, w.stdout);
      }
    } finally {
      plain.kill();
      piped.kill();
    }
  });
});
