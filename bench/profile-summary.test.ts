import assert from "node:assert/strict";
import { test } from "node:test";
import { summarizeProfile } from "./profile-summary";

test("self time is summed per function and per file, idle left out", () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
  const s = summarizeProfile({
    nodes: [
      { id: 1, callFrame: frame("(idle)", "") },
      { id: 2, callFrame: frame("wake", "file:///work/main/packages/server/src/sync/notifier.ts") },
      { id: 3, callFrame: frame("parse", "") },
    ],
    samples: [1, 2, 2, 3, 1],
    timeDeltas: [5000, 3000, 1000, 4000, 9000],
  });
  assert.equal(s.busyMs, 8);
  assert.deepEqual(new Set(s.byFunction), new Set([
    { name: "wake packages/server/src/sync/notifier.ts:10", ms: 4, pct: 50 },
    { name: "parse (native)", ms: 4, pct: 50 },
  ]));
  assert.equal(s.byFile.length, 2);
});
