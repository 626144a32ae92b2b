// The owner's presence stream reaches the followers' replicas: positions, wake-ups, gaps, promotion.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { MatrixError, type DeviceId } from "@axon/protocol";
import type { Clock } from "../clock";
import { PresenceStreamProvider } from "../sync/presence-stream";
import type { SyncRequest, SyncResponse } from "../sync/stream-provider";
import { SyncService } from "../sync/sync-service";
import { A, B, C, ClusterKit, HEARTBEAT, IDLE_TIMEOUT, PHONE, ROOM, settle, type Proc } from "./presence-cluster-harness";

const LAPTOP = "LAPTOP" as DeviceId;
const reqOf = (p: { userId: SyncRequest["userId"] }): SyncRequest => ({ userId: p.userId, deviceId: "D" as DeviceId, filter: {}, fullState: false });

/** The /sync of a process, with presence as its only stream (as in cluster mode). */
function syncOf(p: Proc, clock: Clock): SyncService {
  return new SyncService([new PresenceStreamProvider(p.presence, clock, { cluster: true })], p.notifier, p.presence);
}

interface PresenceSection {
  presence?: { events: { sender: string; content: { presence: string; status_msg?: string } }[] };
}
const events = (res: SyncResponse): { sender: string; content: { presence: string; status_msg?: string } }[] => (res as PresenceSection).presence?.events ?? [];

describe("cluster presence: the replica", () => {
  let kit: ClusterKit;
  beforeEach(() => {
    kit = new ClusterKit();
  });
  afterEach(async () => {
    await kit.close();
  });

  it("a busy PUT on the owner reaches a follower: current() busy, the change at the owner's position, a waiting long-poll woken", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower");
    const sync = syncOf(follower, kit.clock);
    const first = await sync.sync(reqOf({ userId: B }), { since: null, timeoutMs: 0, setPresence: "offline" });
    const before = follower.presence.feed.latest();
    assert.equal(before, owner.presence.feed.latest());

    const waiting = sync.sync(reqOf({ userId: B }), { since: first.next_batch!, timeoutMs: 10_000, setPresence: "offline" });
    await settle();
    const t0 = performance.now();
    await owner.presence.setPresence(A, PHONE, "busy", "in a meeting");
    const res = await waiting;
    assert.ok(performance.now() - t0 < 1000, "woken, not timed out");
    assert.deepEqual(
      events(res).map((e) => [e.sender, e.content.presence, e.content.status_msg]),
      [[A, "org.matrix.msc3026.busy", "in a meeting"]],
    );

    const view = follower.presence.current(A);
    assert.equal(view.state, "busy");
    assert.equal(view.statusMsg, "in a meeting");
    assert.equal(view.lastActiveAt, owner.presence.current(A).lastActiveAt);
    const at = owner.presence.feed.latest();
    assert.equal(follower.presence.feed.latest(), at, "the follower's feed is at the owner's position");
    assert.deepEqual(
      follower.presence.changesFor(C, before, at).map((v) => v.state),
      ["busy"],
      "every watcher of A gets it",
    );
    assert.deepEqual(follower.presence.changesFor(C, at, at), []);
    // The token says the same on both processes.
    assert.equal(res.next_batch, `s${at}`);
  });

  it("a token from a process further ahead is accepted (not 'from the future') and sees nothing twice", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower");
    const sync = syncOf(follower, kit.clock);
    const ahead = `s${follower.presence.feed.latest() + 5}`;
    const res = await sync.sync(reqOf({ userId: B }), { since: ahead, timeoutMs: 0, setPresence: "offline" });
    assert.equal(res.next_batch, ahead, "the client's position is kept");
    assert.deepEqual(events(res), []);
    // Without the cluster flag it is refused as before.
    const plain = new SyncService([new PresenceStreamProvider(owner.presence, kit.clock)], owner.notifier);
    assert.throws(() => plain.parseToken(ahead), (e) => e instanceof MatrixError && e.status === 400);
  });

  it("a membership change on the owner reaches the newly sharing users on a follower, as targeted entries", async () => {
    const owner = await kit.owner("owner", 1, [A, B]);
    const follower = await kit.process("follower", [A, B]);
    await owner.presence.setPresence(C, PHONE, "busy", null);
    await settle();
    const before = follower.presence.feed.latest();
    // C joins a room with A and B: the owner publishes C to A and B, and each of them to C.
    owner.membership.join(ROOM, C);
    follower.membership.join(ROOM, C);
    await settle();
    const at = follower.presence.feed.latest();
    assert.equal(at, owner.presence.feed.latest());
    assert.deepEqual(
      follower.presence.changesFor(A, before, at).map((v) => [v.userId, v.state]),
      [[C, "busy"]],
    );
    assert.deepEqual(follower.presence.changesFor(C, before, at).map((v) => v.userId).sort(), [A, B].sort());
  });

  it("a lost message is detected at the next one; syncs from before the gap get the full snapshot", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower");
    const sync = syncOf(follower, kit.clock);
    const first = await sync.sync(reqOf({ userId: B }), { since: null, timeoutMs: 0, setPresence: "offline" });
    const tokenBefore = first.next_batch!;
    const posBefore = follower.presence.feed.latest();

    kit.dropNextOut = "change";
    await owner.presence.setPresence(A, PHONE, "busy", "lost");
    await settle();
    assert.equal(follower.presence.current(A).state, "offline", "the change never arrived");
    const resyncsBefore = kit.inbound.of("resync");

    await owner.presence.setPresence(C, LAPTOP, "unavailable", null);
    await settle();
    assert.equal(kit.inbound.of("resync") - resyncsBefore, 1, "the gap was seen at the next message");
    assert.equal(follower.presence.current(A).state, "busy", "caught up from the presence table");
    assert.equal(follower.presence.current(A).statusMsg, "lost");
    assert.equal(follower.presence.current(C).state, "unavailable");
    assert.equal(follower.presence.feed.latest(), owner.presence.feed.latest());
    assert.equal(follower.presence.feed.read(B, posBefore, follower.presence.feed.latest()), null, "the inbox no longer reaches back");

    const res = await sync.sync(reqOf({ userId: B }), { since: tokenBefore, timeoutMs: 0, setPresence: "offline" });
    const got = new Map(events(res).map((e) => [e.sender, e.content]));
    assert.equal(got.get(A)?.presence, "org.matrix.msc3026.busy", "the full snapshot carries the lost change");
    assert.equal(got.get(C)?.presence, "unavailable");

    // From the new token on, changes flow again.
    await owner.presence.setPresence(A, PHONE, "online", null);
    await settle();
    const next = await sync.sync(reqOf({ userId: B }), { since: res.next_batch!, timeoutMs: 0, setPresence: "offline" });
    assert.deepEqual(events(next).map((e) => [e.sender, e.content.presence]), [[A, "online"]]);
  });

  it("a lost tail is found by the owner's heartbeat", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower");
    kit.dropNextOut = "change";
    await owner.presence.setPresence(A, PHONE, "busy", null);
    await settle();
    assert.equal(follower.presence.current(A).state, "offline");
    await kit.advance(HEARTBEAT);
    assert.equal(follower.presence.current(A).state, "busy");
    assert.equal(follower.presence.feed.latest(), owner.presence.feed.latest());
  });

  it("a bus outage: the follower resyncs and re-reports its devices when it is back", async () => {
    const owner = await kit.owner("owner");
    const follower = await kit.process("follower");
    kit.hub.outage();
    follower.presence.syncStarted(A, PHONE, "online"); // its start is lost
    await owner.presence.setPresence(B, PHONE, "busy", null); // and so is this change
    await settle();
    kit.hub.restore();
    await settle();
    assert.equal(owner.presence.current(A).state, "online", "the device state was sent again");
    assert.equal(follower.presence.current(B).state, "busy");
    assert.equal(follower.presence.current(A).state, "online");
    assert.equal(follower.presence.feed.latest(), owner.presence.feed.latest());
  });

  it("promotion: a follower becomes the owner; its timers run, the epoch grows, positions keep increasing", async () => {
    const old = await kit.owner("old", 1);
    const next = await kit.process("next");
    const other = await kit.process("other");
    next.presence.syncStarted(A, PHONE, "online");
    other.presence.syncStarted(B, PHONE, "online");
    await settle();
    assert.equal(old.presence.current(A).state, "online");
    const lastOld = old.presence.feed.latest();
    const otherSync = syncOf(other, kit.clock);
    const tokenOld = (await otherSync.sync(reqOf({ userId: C }), { since: null, timeoutMs: 0, setPresence: "offline" })).next_batch!;

    // The old owner goes away (its lock is gone; it stops and exits).
    await old.bus.close();
    await old.presence.close();
    await next.presence.promote(2);
    await settle();
    assert.equal(next.presence.isOwner, true);
    assert.equal(next.presence.ownerEpoch, 2);
    assert.equal(other.presence.ownerEpoch, 2, "the other follower follows the new owner");
    const start = next.presence.feed.latest();
    assert.ok(start > lastOld, "positions continue above anything issued");
    assert.equal(next.presence.current(A).state, "online", "its own device counts in process");
    assert.equal(next.presence.current(B).state, "online", "the other follower re-reported its device");
    assert.equal(other.presence.feed.latest(), next.presence.feed.latest());

    // A token from the old owner's days gets a full snapshot once, then changes as usual.
    const full = await otherSync.sync(reqOf({ userId: C }), { since: tokenOld, timeoutMs: 0, setPresence: "offline" });
    assert.deepEqual(events(full).map((e) => e.sender).sort(), [A, B].sort());

    // Its timers run: nobody is active, so both go idle after idle_timeout.
    await kit.advance(IDLE_TIMEOUT, 10_000);
    assert.equal(next.presence.current(A).state, "unavailable");
    assert.equal(next.presence.current(B).state, "unavailable");
    assert.equal(other.presence.current(A).state, "unavailable");
    assert.ok(next.presence.feed.latest() > start);
    assert.equal(other.presence.feed.latest(), next.presence.feed.latest());
    const idle = await otherSync.sync(reqOf({ userId: C }), { since: full.next_batch!, timeoutMs: 0, setPresence: "offline" });
    assert.deepEqual(events(idle).map((e) => [e.sender, e.content.presence]).sort(), [[A, "unavailable"], [B, "unavailable"]].sort());

    // And it writes: a PUT on the new owner reaches the table and the follower.
    await next.presence.setPresence(C, PHONE, "busy", null);
    await settle();
    assert.equal(other.presence.current(C).state, "busy");
    assert.equal(kit.store.rows.get(C)?.state, "busy");
  });
});
