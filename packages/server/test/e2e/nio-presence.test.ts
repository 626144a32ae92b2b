// MSC3026 busy presence through matrix-nio (Debian python3-matrix-nio) against a real Axon on port 0.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { PYTHON, lastJson, runProcess, startLiveServer, type LiveServer } from "./harness";

const BUSY = "org.matrix.msc3026.busy";
const skip = existsSync(PYTHON) ? false : `${PYTHON} not found; install python3-matrix-nio (scripts/system-deps.sh)`;
if (skip) console.log(`# ${skip}`);

describe("matrix-nio and busy presence", { skip, timeout: 90_000 }, () => {
  let live: LiveServer;
  before(async () => {
    live = await startLiveServer();
  });
  after(async () => {
    await live.close();
  });

  test("set_presence busy succeeds; B's presence callback gets it; get_presence answers", async () => {
    const id = Date.now().toString(36);
    const result = lastJson(await runProcess(PYTHON, ["nio_client.py", "presence", live.url, `niopa${id}`, `niopb${id}`], { timeoutMs: 60_000 }));
    assert.equal(result.ok, true, JSON.stringify(result));
    const events = result.callback_events as { user_id: string; presence: string; status_msg: string | null; last_active_ago: unknown }[];
    const busy = events.find((e) => e.user_id === result.a && e.presence === BUSY);
    assert.ok(busy, JSON.stringify(events));
    assert.equal(busy.status_msg, "on a call");
    const got = result.get_presence as { user_id: string; presence: string; status_msg: string | null; last_active_ago: unknown };
    assert.equal(got.user_id, result.a);
    assert.equal(got.presence, BUSY);
    assert.equal(got.status_msg, "on a call");
    assert.ok(got.last_active_ago === null || Number.isInteger(got.last_active_ago));
  });
});
