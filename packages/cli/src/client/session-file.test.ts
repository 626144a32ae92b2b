import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { deleteSession, readSession, sessionPath, writeSession } from "./session-file";

const dir = mkdtempSync(join(tmpdir(), "axon-session-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const session = { homeserver: "https://matrix.example.org", userId: "@alice:example.org", deviceId: "DEV", accessToken: "syt_secret" };

describe("sessionPath", () => {
  it("AXON_SESSION, else an absolute XDG_CONFIG_HOME, else ~/.config", () => {
    // Made-up absolute folders under the system's temporary folder, so no machine's own path is named.
    const [file, cfg, home] = ["s.json", "cfg", "home"].map((n) => join(tmpdir(), "axon-paths", n)) as [string, string, string];
    assert.equal(sessionPath({ AXON_SESSION: file, XDG_CONFIG_HOME: cfg }, home), file);
    assert.equal(sessionPath({ XDG_CONFIG_HOME: cfg }, home), join(cfg, "axon", "session.json"));
    assert.equal(sessionPath({ XDG_CONFIG_HOME: "relative/cfg" }, home), join(home, ".config", "axon", "session.json"));
    assert.equal(sessionPath({ AXON_SESSION: "", XDG_CONFIG_HOME: "" }, home), join(home, ".config", "axon", "session.json"));
  });
});

describe("writeSession / readSession", () => {
  it("round-trips, with the file 0600 in a 0700 folder and no temp file left", () => {
    const path = join(dir, "new", "axon", "session.json");
    writeSession(session, path);
    assert.deepEqual(readSession(path), session);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, "new", "axon")).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(join(dir, "new", "axon")), ["session.json"]);
  });

  it("replaces a readable older file with a 0600 one", () => {
    const path = join(dir, "old.json");
    writeFileSync(path, "{}");
    chmodSync(path, 0o644);
    writeSession({ ...session, accessToken: "newer" }, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readSession(path).accessToken, "newer");
  });

  it("no file is 'not logged in'; a damaged one says what is wrong", () => {
    assert.throws(() => readSession(join(dir, "none.json")), { name: "CliError", message: "not logged in; run axon login first" });
    const bad = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    assert.throws(() => readSession(bad("a.json", "{oops")), /session file .*a\.json is damaged \(not JSON\); run axon login again/);
    assert.throws(() => readSession(bad("b.json", "[1]")), /damaged \(not a JSON object\)/);
    const noToken = JSON.stringify({ homeserver: "h", user_id: "@a:b", device_id: "D" });
    assert.throws(() => readSession(bad("c.json", noToken)), /damaged \(no access_token\)/);
    mkdirSync(join(dir, "adir.json"));
    assert.throws(() => readSession(join(dir, "adir.json")), /cannot read the session file/);
  });

  it("deleteSession says whether there was a file", () => {
    const path = join(dir, "del.json");
    writeSession(session, path);
    assert.equal(deleteSession(path), true);
    assert.equal(deleteSession(path), false);
  });
});
