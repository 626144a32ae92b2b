// matrix-nio (Debian python3-matrix-nio, run with /usr/bin/python3) against a real Axon on port 0.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { PYTHON, lastJson, runProcess, startLiveServer, type LiveServer } from "./harness";

const skip = existsSync(PYTHON) ? false : `${PYTHON} not found; install python3-matrix-nio (scripts/system-deps.sh)`;
if (skip) console.log(`# ${skip}`);

let n = 0;
const names = (tag: string) => {
  const id = `${Date.now().toString(36)}${++n}`;
  return [`nio${tag}a${id}`, `nio${tag}b${id}`] as const;
};

describe("matrix-nio", { skip, timeout: 90_000 }, () => {
  let live: LiveServer;
  before(async () => {
    live = await startLiveServer();
  });
  after(async () => {
    await live.close();
  });

  test("registers, logs in, creates a room, joins, sends and receives", async () => {
    const [a, b] = names("r");
    const result = lastJson(await runProcess(PYTHON, ["nio_client.py", "rooms", live.url, a, b], { timeoutMs: 60_000 }));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.a, `@${a}:${live.serverName}`);
    const seenByB = result.seen_by_b as { sender: string; body: string }[];
    const seenByA = result.seen_by_a as { sender: string; body: string }[];
    assert.ok(seenByB.some((m) => m.sender === result.a && m.body === "hello from nio A"), JSON.stringify(seenByB));
    assert.ok(seenByA.some((m) => m.sender === result.b && m.body === "reply from nio B"), JSON.stringify(seenByA));
  });
});
