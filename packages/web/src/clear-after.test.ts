import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clearAt, untilText } from "./clear-after";

const NOW = new Date(2026, 10, 29, 9, 15, 0, 0).getTime();

describe("Clear after", () => {
  it("30 minutes, 1 hour, 4 hours from now; Today at midnight tonight (local); Don't clear: no end", () => {
    assert.equal(clearAt("30m", NOW), NOW + 30 * 60_000);
    assert.equal(clearAt("1h", NOW), NOW + 3_600_000);
    assert.equal(clearAt("4h", NOW), NOW + 4 * 3_600_000);
    assert.equal(clearAt("today", NOW), new Date(2026, 10, 30, 0, 0, 0, 0).getTime());
    assert.equal(clearAt("never", NOW), null);
  });

  it("says the end as a person reads it", () => {
    assert.equal(untilText(new Date(2026, 10, 29, 14, 0).getTime(), NOW), "until 14:00");
    assert.equal(untilText(clearAt("today", NOW)!, NOW), "until midnight");
    assert.equal(untilText(new Date(2026, 11, 1, 8, 30).getTime(), NOW), "until 1 Dec 08:30");
  });
});
