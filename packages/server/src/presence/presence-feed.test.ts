import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UserId } from "@axon/protocol";
import { PresenceFeed, type PresenceSnapshot } from "./presence-feed";

const A = "@a:t" as UserId;
const B = "@b:t" as UserId;
const W = "@w:t" as UserId;
const snap = (userId: UserId, state: PresenceSnapshot["state"], statusMsg: string | null = null): PresenceSnapshot => ({
  userId,
  state,
  statusMsg,
  expiresAt: null,
});

describe("PresenceFeed", () => {
  it("gives a watcher only what was published to it, in (from, to]", () => {
    const feed = new PresenceFeed();
    const p1 = feed.publish(snap(A, "online"), [W]);
    const p2 = feed.publish(snap(B, "busy"), [A]); // not to W
    const p3 = feed.publish(snap(B, "unavailable"), [W]);
    assert.deepEqual([p1, p2, p3], [1, 2, 3]);
    assert.deepEqual(feed.read(W, 0, 3), [snap(A, "online"), snap(B, "unavailable")]);
    assert.deepEqual(feed.read(W, 1, 3), [snap(B, "unavailable")]);
    assert.deepEqual(feed.read(W, 1, 2), []);
    assert.deepEqual(feed.read(W, 3, 3), []);
    assert.deepEqual(feed.read(B, 0, 3), []);
  });

  it("keeps one event per user, the latest, ordered by when it changed last", () => {
    const feed = new PresenceFeed();
    feed.publish(snap(A, "online"), [W]);
    feed.publish(snap(B, "online"), [W]);
    feed.publish(snap(A, "busy", "on a call"), [W]);
    assert.deepEqual(feed.read(W, 0, 3), [snap(B, "online"), snap(A, "busy", "on a call")]);
  });

  it("starts above a seed and sends a snapshot to a token from before the start", () => {
    const feed = new PresenceFeed(1000);
    assert.equal(feed.latest(), 1000);
    assert.equal(feed.publish(snap(A, "online"), [W]), 1001);
    assert.equal(feed.read(W, 999, 1001), null);
    assert.deepEqual(feed.read(W, 1000, 1001), [snap(A, "online")]);
    assert.deepEqual(feed.read(B, 1000, 1001), []);
  });

  it("says when an inbox no longer reaches back to the token, so the caller can send a snapshot", () => {
    const feed = new PresenceFeed();
    for (let i = 0; i < 300; i++) feed.publish(snap(A, i % 2 ? "online" : "busy"), [W]);
    assert.equal(feed.read(W, 0, 300), null);
    // The 300th publish (i = 299) was "online".
    assert.deepEqual(feed.read(W, 299, 300), [snap(A, "online")]);
  });

  it("publishes at positions chosen elsewhere, skips, and starts over at a floor (a cluster follower)", () => {
    const feed = new PresenceFeed();
    assert.equal(feed.publishAt(50, snap(A, "online"), [W]), 50);
    assert.throws(() => feed.publishAt(50, snap(B, "online"), [W]), /not after/);
    feed.skipTo(60);
    assert.equal(feed.latest(), 60);
    assert.equal(feed.publish(snap(B, "busy"), [W]), 61);
    assert.deepEqual(feed.read(W, 0, 61), [snap(A, "online"), snap(B, "busy")]);
    assert.deepEqual(feed.read(W, 50, 61), [snap(B, "busy")]);
    feed.resetAt(100);
    assert.equal(feed.latest(), 100);
    assert.equal(feed.read(W, 61, 100), null, "a token from before the reset gets a snapshot");
    assert.deepEqual(feed.read(W, 100, 100), []);
    feed.publishAt(105, snap(A, "offline"), [W]);
    assert.deepEqual(feed.read(W, 100, 105), [snap(A, "offline")]);
    assert.deepEqual(feed.totals(), { changes: 3, deliveries: 3 });
  });
});
