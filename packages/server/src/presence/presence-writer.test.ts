import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UserId } from "@axon/protocol";
import type { PresenceStore, StoredPresence } from "./presence-store";
import { PresenceWriter } from "./presence-writer";

const row = (userId: string, state: StoredPresence["state"] = "online"): StoredPresence => ({
  userId: userId as UserId,
  state,
  statusMsg: null,
  lastActiveAt: null,
  busyFromCall: false,
  expiresAt: null,
  updatedAt: 0,
});

/** A store whose commits complete only when the test says so. */
function gatedStore() {
  const batches: StoredPresence[][] = [];
  const gates: (() => void)[] = [];
  const store: PresenceStore = {
    loadAll: async () => [],
    saveMany: (rows) =>
      new Promise<void>((resolve) => {
        batches.push(rows);
        gates.push(resolve);
      }),
  };
  return { store, batches, release: () => gates.shift()?.() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("PresenceWriter", () => {
  it("answers a durable write only after its transaction commits", async () => {
    const { store, batches, release } = gatedStore();
    const w = new PresenceWriter(store, () => {});
    let done = false;
    void w.durable("@a:t" as UserId, () => row("@a:t")).then(() => (done = true));
    await tick();
    assert.equal(batches.length, 1);
    assert.equal(done, false);
    release();
    await tick();
    assert.equal(done, true);
  });

  it("groups writes that arrive during a commit into the next one, latest row per user", async () => {
    const { store, batches, release } = gatedStore();
    const w = new PresenceWriter(store, () => {});
    const p1 = w.durable("@a:t" as UserId, () => row("@a:t"));
    await tick();
    const p2 = w.durable("@b:t" as UserId, () => row("@b:t"));
    const p3 = w.durable("@b:t" as UserId, () => row("@b:t", "busy"));
    w.lazy("@c:t" as UserId, () => row("@c:t"));
    release();
    await p1;
    await tick();
    assert.equal(batches.length, 2);
    assert.deepEqual(
      batches[1]!.map((r) => [r.userId, r.state]),
      [
        ["@b:t", "busy"],
        ["@c:t", "online"],
      ],
    );
    release();
    await Promise.all([p2, p3]);
  });

  it("a failed commit rejects its waiters and reports the error", async () => {
    const errors: unknown[] = [];
    const w = new PresenceWriter({ loadAll: async () => [], saveMany: async () => Promise.reject(new Error("disk full")) }, (e) =>
      errors.push(e),
    );
    await assert.rejects(w.durable("@a:t" as UserId, () => row("@a:t")), /disk full/);
    assert.equal(errors.length, 1);
  });

  it("starts commits at most once per interval, so a stream of PUTs shares them; flush does not wait", async () => {
    const batches: string[][] = [];
    const store: PresenceStore = { loadAll: async () => [], saveMany: async (rows) => void batches.push(rows.map((r) => r.userId)) };
    const w = new PresenceWriter(store, () => {}, 60_000, 80);
    const started = performance.now();
    await w.durable("@a:t" as UserId, () => row("@a:t"));
    assert.deepEqual(batches, [["@a:t"]], "the first commit starts at once");
    const b = w.durable("@b:t" as UserId, () => row("@b:t"));
    await new Promise((r) => setTimeout(r, 10));
    const c = w.durable("@c:t" as UserId, () => row("@c:t"));
    assert.equal(batches.length, 1, "the next waits for the interval");
    await Promise.all([b, c]);
    assert.deepEqual(batches[1], ["@b:t", "@c:t"], "and then carries both");
    assert.ok(performance.now() - started >= 75, "not before the interval");
    const before = performance.now();
    const d = w.durable("@d:t" as UserId, () => row("@d:t"));
    await w.flush();
    await d;
    assert.ok(performance.now() - before < 70, "flush commits at once");
    assert.deepEqual(batches[2], ["@d:t"]);
    await w.close();
  });

  it("flush writes lazy rows without waiting for the delay", async () => {
    const saved: string[] = [];
    const w = new PresenceWriter({ loadAll: async () => [], saveMany: async (rows) => void saved.push(...rows.map((r) => r.userId)) }, () => {}, 60_000);
    w.lazy("@a:t" as UserId, () => row("@a:t"));
    await w.close();
    assert.deepEqual(saved, ["@a:t"]);
  });
  it("barrier: waits for what is pending or in flight now, not for what comes after", async () => {
    const { store, batches, release } = gatedStore();
    const w = new PresenceWriter(store, () => {}, 60_000);
    assert.equal(await Promise.race([w.barrier().then(() => "done"), tick().then(() => "waiting")]), "done", "nothing to wait for");
    w.lazy("@a:t" as UserId, () => row("@a:t"));
    let done = false;
    void w.barrier().then(() => (done = true));
    await tick();
    assert.equal(batches.length, 1, "the pending row is committed at once");
    w.lazy("@b:t" as UserId, () => row("@b:t"));
    release();
    await tick();
    assert.equal(done, true, "not held up by the row that came later");
    assert.equal(batches.length, 2);
    // In flight only: the barrier waits for that commit.
    done = false;
    void w.barrier().then(() => (done = true));
    await tick();
    assert.equal(done, false);
    release();
    await tick();
    assert.equal(done, true);
    await w.close();
  });
});
