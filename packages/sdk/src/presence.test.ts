import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "./clock";
import { activeAgo, parsePresence, presenceRank, toWirePresence } from "./presence";
import { PresenceTracker, type PresenceEntry } from "./presence-tracker";
import type { SyncResponse } from "./types";

describe("parsePresence", () => {
  it("reads all three spellings of busy as busy, the spec's states as themselves, and nothing else", () => {
    for (const v of ["org.matrix.msc3026.busy", "busy", "org.matrix.busy"]) assert.equal(parsePresence(v), "busy", v);
    for (const v of ["online", "unavailable", "offline"] as const) assert.equal(parsePresence(v), v);
    for (const v of ["Online", "away", "org.matrix.msc3026.Busy", "", null, undefined, 3, {}]) assert.equal(parsePresence(v), "unknown", String(v));
  });

  it("sends busy under the MSC's unstable name, and orders people busy, online, away, offline, unknown", () => {
    assert.equal(toWirePresence("busy"), "org.matrix.msc3026.busy");
    assert.equal(toWirePresence("unavailable"), "unavailable");
    const order = (["offline", "unknown", "online", "busy", "unavailable"] as const).slice().sort((a, b) => presenceRank(a) - presenceRank(b));
    assert.deepEqual(order, ["busy", "online", "unavailable", "offline", "unknown"]);
  });

  it("says how long ago someone was active in words", () => {
    const now = 10_000_000;
    assert.equal(activeAgo(null, now), "");
    assert.equal(activeAgo(now - 5_000, now), "active just now");
    assert.equal(activeAgo(now - 3 * 60_000 - 10, now), "active 3 min ago");
    assert.equal(activeAgo(now - 2 * 3_600_000, now), "active 2 h ago");
    assert.equal(activeAgo(now - 24 * 3_600_000, now), "active 1 day ago");
    assert.equal(activeAgo(now - 4 * 24 * 3_600_000, now), "active 4 days ago");
  });
});

const presenceSync = (...events: [string, Record<string, unknown>][]): SyncResponse => ({
  next_batch: "x",
  presence: { events: events.map(([sender, content]) => ({ type: "m.presence", sender, content })) },
});

describe("PresenceTracker", () => {
  it("keeps state, message, an absolute last-active time and currently_active, one change event per real change", async () => {
    const clock = new ManualClock(1_000_000);
    const tracker = new PresenceTracker({ clock });
    const seen: [PresenceEntry, PresenceEntry | undefined][] = [];
    tracker.on("change", (e, p) => seen.push([e, p]));

    tracker.ingest(presenceSync(["@bob:x", { presence: "org.matrix.busy", status_msg: "in a call", last_active_ago: 60_000, currently_active: false }]));
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]![0], { userId: "@bob:x", state: "busy", raw: "org.matrix.busy", statusMsg: "in a call", lastActiveAt: 940_000, currentlyActive: false, until: null });
    assert.equal(seen[0]![1], undefined);

    // The same presence a little later (last_active_ago grew with the clock): no change.
    await clock.advance(30_000);
    tracker.ingest(presenceSync(["@bob:x", { presence: "busy", status_msg: "in a call", last_active_ago: 90_500, currently_active: false }]));
    assert.equal(seen.length, 1);
    assert.equal(tracker.get("@bob:x")?.lastActiveAt, 940_000);

    // Clearing the message (the key is absent) is a change and really clears it.
    tracker.ingest(presenceSync(["@bob:x", { presence: "org.matrix.msc3026.busy", last_active_ago: 90_000 }]));
    assert.equal(seen.length, 2);
    assert.equal(seen[1]![0].statusMsg, null);
    assert.equal(seen[1]![1]?.statusMsg, "in a call");

    // Activity moves last-active; an unknown state is reported as unknown with its raw value.
    tracker.ingest(presenceSync(["@bob:x", { presence: "org.example.dnd", last_active_ago: 0, currently_active: true }]));
    assert.equal(seen.length, 3);
    assert.equal(seen[2]![0].state, "unknown");
    assert.equal(seen[2]![0].raw, "org.example.dnd");
    assert.equal(seen[2]![0].lastActiveAt, clock.now());
    assert.deepEqual(tracker.all().map((e) => e.userId), ["@bob:x"]);
  });

  it("ignores events that are not presence or have no sender", () => {
    const tracker = new PresenceTracker({ clock: new ManualClock() });
    let changes = 0;
    tracker.on("change", () => changes++);
    tracker.ingest({ next_batch: "x", presence: { events: [{ type: "m.typing", sender: "@a:x", content: { presence: "online" } }, { type: "m.presence", content: { presence: "online" } }] } });
    assert.equal(changes, 0);
  });
});
