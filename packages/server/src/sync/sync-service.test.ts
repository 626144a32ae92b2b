import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MatrixError, type DeviceId, type UserId } from "@axon/protocol";
import type { PresenceHooks } from "../presence/presence-hooks";
import { MembershipIndex } from "../rooms/membership-index";
import { Hangup } from "./hangup";
import { Notifier } from "./notifier";
import type { StreamProvider, SyncRequest, SyncResponse } from "./stream-provider";
import { SyncService } from "./sync-service";

const alice = "@alice:t" as UserId;
const req: SyncRequest = { userId: alice, deviceId: "D" as DeviceId, filter: {}, fullState: false };

class CountingProvider implements StreamProvider {
  position = 0;
  constructor(readonly key: string) {}
  latest() {
    return this.position;
  }
  async fill(_r: SyncRequest, from: number | null, to: number, res: SyncResponse) {
    if (from !== null && to > from) {
      res[this.key] = { from, to };
      return true;
    }
    return false;
  }
}

function recorder() {
  const calls: string[] = [];
  const hooks: PresenceHooks = {
    syncStarted: (u, d, p) => calls.push(`start ${u} ${d} ${p}`),
    syncEnded: (u, d, p) => calls.push(`end ${u} ${d} ${p}`),
    activity: () => {},
    eventPersisted: () => {},
  };
  return { calls, hooks };
}

describe("SyncService", () => {
  it("builds the token from every provider in order and validates it", async () => {
    const a = new CountingProvider("a");
    const b = new CountingProvider("b");
    a.position = 3;
    b.position = 7;
    const svc = new SyncService([a, b], new Notifier(new MembershipIndex()));
    assert.equal(svc.currentToken(), "s3_7");
    assert.deepEqual(svc.parseToken("s3_7"), [3, 7]);
    // A token from before a provider was appended: its part counts as 0.
    assert.deepEqual(svc.parseToken("s2"), [2, 0]);
    for (const bad of ["s4_7", "s3_8", "x", "s3_7_1", "s-1_0", "", "s", "s3_", "s_3", "s3__7", "s3_7x", "s 3", "s12345678901234567"]) assert.throws(() => svc.parseToken(bad), (e) => e instanceof MatrixError && e.status === 400);
  });

  it("reports start and end to presence, and a client going away ends the long-poll", async () => {
    const p = new CountingProvider("p");
    const notifier = new Notifier(new MembershipIndex());
    const { calls, hooks } = recorder();
    const svc = new SyncService([p], notifier, hooks);
    const hangup = new Hangup();
    const pending = svc.sync(req, { since: "s0", timeoutMs: 60_000, setPresence: "unavailable", hangup });
    await new Promise((r) => setImmediate(r));
    assert.equal(notifier.waiting(), 1);
    assert.deepEqual(calls, [`start ${alice} D unavailable`]);
    hangup.fire();
    const res = await pending;
    assert.equal(res.next_batch, "s0");
    assert.deepEqual(calls, [`start ${alice} D unavailable`, `end ${alice} D unavailable`]);
    assert.equal(notifier.waiting(), 0);
  });

  it("a client that hung up before the wait began is answered at once", async () => {
    const notifier = new Notifier(new MembershipIndex());
    const svc = new SyncService([new CountingProvider("p")], notifier);
    const hangup = new Hangup();
    hangup.fire();
    const res = await svc.sync(req, { since: "s0", timeoutMs: 60_000, setPresence: "online", hangup });
    assert.equal(res.next_batch, "s0");
    assert.equal(notifier.waiting(), 0);
  });

  it("recomputes after a wake and returns the change", async () => {
    const p = new CountingProvider("p");
    const notifier = new Notifier(new MembershipIndex());
    const svc = new SyncService([p], notifier);
    const pending = svc.sync(req, { since: "s0", timeoutMs: 60_000, setPresence: "online" });
    await new Promise((r) => setImmediate(r));
    p.position = 1;
    notifier.wakeUsers([alice]);
    const res = await pending;
    assert.deepEqual(res.p, { from: 0, to: 1 });
    assert.equal(res.next_batch, "s1");
  });

  it("a rejected token still ends cleanly with no presence call", async () => {
    const { calls, hooks } = recorder();
    const svc = new SyncService([new CountingProvider("p")], new Notifier(new MembershipIndex()), hooks);
    await assert.rejects(svc.sync(req, { since: "s5", timeoutMs: 0, setPresence: "online" }), MatrixError);
    assert.deepEqual(calls, []);
  });
});
