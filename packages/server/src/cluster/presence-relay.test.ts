// Syncs through the processes of a cluster reach the owner's presence as edges (SyncRelay → OwnerSyncs).
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { DeviceId } from "@axon/protocol";
import { A, ClusterKit, HEARTBEAT, PHONE, STOP_DELAY, SYNC_TIMEOUT, settle, syncOnce } from "./presence-cluster-harness";

describe("cluster presence: syncs relayed to the owner", () => {
  let kit: ClusterKit;
  beforeEach(() => {
    kit = new ClusterKit();
  });
  afterEach(async () => {
    await kit.close();
  });

  it("a device syncing through a follower is online on the owner and the replica; 100 syncs send one start, one stop after the debounce", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower");
    const startsBefore = kit.inbound.of("start");

    follower.presence.syncStarted(A, PHONE, "online");
    await settle();
    assert.equal(owner.presence.current(A).state, "online");
    assert.equal(follower.presence.current(A).state, "online", "the replica has the owner's change");
    assert.equal(follower.presence.feed.latest(), owner.presence.feed.latest(), "at the owner's position");
    follower.presence.syncEnded(A, PHONE, "online");

    for (let i = 1; i < 100; i++) {
      await kit.advance(100);
      syncOnce(follower, A);
    }
    await settle();
    assert.equal(kit.inbound.of("start") - startsBefore, 1, "one start for 100 syncs");
    assert.equal(kit.inbound.of("stop"), 0);
    // 100 syncs over 10 s: activity is relayed at most once per half granularity (30 s), and the start was activity.
    assert.equal(kit.inbound.of("activity"), 0);

    const endedAt = kit.clock.now();
    await kit.advance(STOP_DELAY - 1000);
    assert.equal(kit.inbound.of("stop"), 0, "not before the debounce");
    await kit.advance(1000);
    assert.equal(kit.inbound.of("stop"), 1, "one stop after the debounce");
    const stop = kit.inbound.messages.find((m) => (m as { t: string }).t === "stop") as { at: number };
    assert.equal(stop.at, endedAt, "carrying when the last sync ended");

    // sync_timeout runs from `at`, not from when the stop arrived.
    await kit.advance(SYNC_TIMEOUT - STOP_DELAY - 1000);
    assert.equal(owner.presence.current(A).state, "online");
    await kit.advance(1000);
    assert.equal(owner.presence.current(A).state, "offline", "gone exactly sync_timeout after its last sync ended");
    assert.equal(follower.presence.current(A).state, "offline");
  });

  it("a sync that starts again within the debounce sends nothing", async () => {
    await kit.owner("owner");
    const follower = await kit.process("follower");
    syncOnce(follower, A);
    await kit.advance(STOP_DELAY - 1000);
    syncOnce(follower, A);
    await kit.advance(STOP_DELAY - 1000);
    assert.equal(kit.inbound.of("start"), 1);
    assert.equal(kit.inbound.of("stop"), 0);
  });

  it("activity of a device already live is relayed at most once per interval", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower", undefined, { activityEveryMs: 20_000 });
    follower.presence.syncStarted(A, PHONE, "online");
    for (let i = 0; i < 60; i++) {
      follower.presence.activity(A, PHONE);
      await settle();
      await kit.advance(1000);
    }
    // t=0 start (activity), then at most one per 20 s: at 20 s and 40 s.
    assert.equal(kit.inbound.of("activity"), 2);
    assert.equal(owner.presence.current(A).lastActiveAt, kit.clock.now() - 20_000);
  });

  it("the same device syncing through two followers stays online until both stop", async () => {
    const owner = await kit.owner("owner");
    const f1 = await kit.process("f1");
    const f2 = await kit.process("f2");
    f1.presence.syncStarted(A, PHONE, "online");
    f2.presence.syncStarted(A, PHONE, "online");
    await settle();
    f1.presence.syncEnded(A, PHONE, "online");
    await kit.advance(STOP_DELAY + SYNC_TIMEOUT + 5000);
    assert.equal(kit.inbound.of("stop"), 1);
    assert.equal(owner.presence.current(A).state, "online", "f2 still has a sync in flight");
    assert.equal(f1.presence.current(A).state, "online");

    f2.presence.syncEnded(A, PHONE, "online");
    await kit.advance(SYNC_TIMEOUT - 1000);
    assert.equal(kit.inbound.of("stop"), 2);
    assert.equal(owner.presence.current(A).state, "online");
    await kit.advance(1000);
    assert.equal(owner.presence.current(A).state, "offline");
    assert.equal(f1.presence.current(A).state, "offline");
    assert.equal(f2.presence.current(A).state, "offline");
  });

  it("a follower that dies (no heartbeat) has its devices ended on the owner", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower");
    follower.presence.syncStarted(A, PHONE, "online");
    await kit.advance(HEARTBEAT);
    assert.equal(owner.presence.current(A).state, "online");

    const lastHeard = kit.clock.now();
    await follower.bus.close(); // kill -9: no bye, nothing more from it
    await kit.advance(4 * HEARTBEAT);
    assert.equal(owner.presence.current(A).state, "online", "sync_timeout runs from its last sign of life");
    await kit.advance(lastHeard + SYNC_TIMEOUT - kit.clock.now());
    assert.equal(owner.presence.current(A).state, "offline");
  });

  it("a closing follower says bye: its devices stop at once", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower");
    follower.presence.syncStarted(A, PHONE, "online");
    await settle();
    const closedAt = kit.clock.now();
    await follower.presence.close();
    await settle();
    assert.equal(kit.inbound.of("bye"), 1);
    await kit.advance(SYNC_TIMEOUT);
    assert.equal(owner.presence.current(A).state, "offline");
    assert.equal(kit.clock.now(), closedAt + SYNC_TIMEOUT);
  });

  it("a lost start or stop is repaired by the heartbeat's audit", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower");
    // The start is lost: the owner never hears of the device.
    const send = kit.hub.send.bind(kit.hub);
    let dropped = 0;
    kit.hub.send = (channel, payload) => {
      if (channel === "presence.in" && payload.includes('"t":"start"') && dropped++ === 0) return;
      send(channel, payload);
    };
    follower.presence.syncStarted(A, PHONE, "online");
    follower.presence.syncStarted(A, "LAPTOP" as DeviceId, "unavailable");
    await settle();
    assert.equal(owner.presence.current(A).state, "unavailable", "only the laptop's start arrived");
    await kit.advance(HEARTBEAT);
    assert.equal(kit.outbound.of("audit"), 1);
    assert.equal(owner.presence.current(A).state, "online", "the audit's state brought the phone");
  });

  it("a device whose set_presence changes is reported again; offline syncs are not relayed", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower");
    follower.presence.syncStarted(A, PHONE, "offline");
    await settle();
    assert.equal(kit.inbound.of("start"), 0);
    follower.presence.syncStarted(A, PHONE, "unavailable");
    await settle();
    assert.equal(owner.presence.current(A).state, "unavailable");
    follower.presence.syncStarted(A, PHONE, "online");
    await settle();
    assert.equal(kit.inbound.of("start"), 2);
    assert.equal(owner.presence.current(A).state, "online");
  });

  it("the owner's own syncs take the same path in process: edges only, same timing", async () => {
    const owner = await kit.owner("owner");
    for (let i = 0; i < 50; i++) {
      syncOnce(owner, A);
      await kit.advance(100);
    }
    assert.equal(owner.presence.current(A).state, "online");
    assert.equal(kit.inbound.of("start"), 0, "nothing on the bus");
    const endedAt = kit.clock.now() - 100;
    await kit.advance(endedAt + SYNC_TIMEOUT - 1 - kit.clock.now(), 500);
    assert.equal(owner.presence.current(A).state, "online");
    await kit.advance(1);
    assert.equal(owner.presence.current(A).state, "offline");
  });
});
