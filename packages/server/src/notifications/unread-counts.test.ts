import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UnreadCounter } from "./unread-counts";

describe("UnreadCounter", () => {
  it("counts notifying events and highlights per user and room", () => {
    const c = new UnreadCounter();
    c.add("@a:x", "!r:x", 1, false);
    c.add("@a:x", "!r:x", 2, true);
    c.add("@a:x", "!s:x", 3, false);
    c.add("@b:x", "!r:x", 2, false);
    assert.deepEqual(c.counts("@a:x", "!r:x"), { notification_count: 2, highlight_count: 1 });
    assert.deepEqual(c.counts("@a:x", "!s:x"), { notification_count: 1, highlight_count: 0 });
    assert.deepEqual(c.counts("@b:x", "!r:x"), { notification_count: 1, highlight_count: 0 });
    assert.deepEqual(c.counts("@c:x", "!r:x"), { notification_count: 0, highlight_count: 0 });
  });

  it("a receipt drops what it covers, keeps what comes after it, and never moves back", () => {
    const c = new UnreadCounter();
    for (const [o, h] of [[5, true], [7, false], [9, true], [12, false]] as const) c.add("@a:x", "!r:x", o, h);
    c.read("@a:x", "!r:x", 8);
    assert.deepEqual(c.counts("@a:x", "!r:x"), { notification_count: 2, highlight_count: 1 });
    assert.equal(c.readUpTo("@a:x", "!r:x"), 8);
    c.read("@a:x", "!r:x", 6);
    assert.equal(c.readUpTo("@a:x", "!r:x"), 8, "an older receipt is ignored");
    assert.deepEqual(c.counts("@a:x", "!r:x"), { notification_count: 2, highlight_count: 1 });
    c.read("@a:x", "!r:x", 12);
    assert.deepEqual(c.counts("@a:x", "!r:x"), { notification_count: 0, highlight_count: 0 });
    c.add("@a:x", "!r:x", 13, true);
    assert.deepEqual(c.counts("@a:x", "!r:x"), { notification_count: 1, highlight_count: 1 });
  });

  it("ignores events at or before the read marker, and duplicates (start-up rebuild)", () => {
    const c = new UnreadCounter();
    c.read("@a:x", "!r:x", 10);
    c.add("@a:x", "!r:x", 10, true);
    c.add("@a:x", "!r:x", 4, true);
    assert.deepEqual(c.counts("@a:x", "!r:x"), { notification_count: 0, highlight_count: 0 });
    c.add("@a:x", "!r:x", 20, false);
    c.add("@a:x", "!r:x", 15, true);
    c.add("@a:x", "!r:x", 15, true);
    assert.deepEqual(c.counts("@a:x", "!r:x"), { notification_count: 2, highlight_count: 1 });
    c.read("@a:x", "!r:x", 15);
    assert.deepEqual(c.counts("@a:x", "!r:x"), { notification_count: 1, highlight_count: 0 });
  });
});
