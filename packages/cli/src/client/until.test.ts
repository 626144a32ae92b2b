import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CliError, formatUntil } from "./output";
import { parseFor, parseUntil } from "./until";

// A local morning, whatever the machine's time zone.
const NOW = new Date(2026, 10, 29, 9, 15, 0, 0).getTime();
const local = (y: number, mo: number, d: number, h: number, mi: number) => new Date(y, mo, d, h, mi, 0, 0).getTime();

describe("--until and --for", () => {
  it("reads a time later today, or a date and time, as local time", () => {
    assert.equal(parseUntil("14:00", NOW), local(2026, 10, 29, 14, 0));
    assert.equal(parseUntil("9:30", NOW), local(2026, 10, 29, 9, 30));
    assert.equal(parseUntil("2026-12-01T14:00", NOW), local(2026, 11, 1, 14, 0));
  });

  it("refuses a time that has passed, a date in the past, and what is not a time", () => {
    for (const bad of ["09:00", "8:59", "2026-11-28T10:00", "25:00", "12:60", "noon", "14", "tomorrow"]) {
      assert.throws(() => parseUntil(bad, NOW), CliError, bad);
    }
  });

  it("reads lengths in days, hours, minutes and seconds", () => {
    assert.equal(parseFor("90m", NOW), NOW + 90 * 60_000);
    assert.equal(parseFor("1h30m", NOW), NOW + 90 * 60_000);
    assert.equal(parseFor("2h", NOW), NOW + 7_200_000);
    assert.equal(parseFor("1d", NOW), NOW + 86_400_000);
    for (const bad of ["", "0m", "1.5h", "h", "90", "-5m", "1w"]) assert.throws(() => parseFor(bad, NOW), CliError, bad);
  });

  it("shows an end today as a time, and another day with its date", () => {
    assert.equal(formatUntil(local(2026, 10, 29, 14, 5), NOW), "14:05");
    assert.equal(formatUntil(local(2026, 11, 1, 8, 0), NOW), "2026-12-01 08:00");
  });
});
