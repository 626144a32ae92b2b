import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConnectionError, MatrixError } from "@axon/sdk";
import { CliError, colourEnabled, describeError, fit, formatUntil, presenceLine, renderTable, type Row } from "./output";
import { getJson, getLine, setLine } from "./presence";

const ANSI = /\x1b\[/; // eslint-disable-line no-control-regex
const NOW = 1_700_000_000_000;

const row = (userId: string, state: Row["state"], extra: Partial<Row> = {}): Row => ({
  userId,
  displayName: null,
  state,
  statusMsg: null,
  lastActiveAt: null,
  currentlyActive: null,
  ...extra,
});

describe("describeError", () => {
  it("turns SDK errors into one sentence", () => {
    assert.equal(describeError(new MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown token")), "your session has expired or was logged out; run axon login again");
    assert.equal(describeError(new MatrixError(400, "M_INVALID_PARAM", "status_msg is too long")), "M_INVALID_PARAM: status_msg is too long");
    assert.equal(describeError(new MatrixError(429, "M_LIMIT_EXCEEDED", "slow", 2_500)), "the server asks to slow down (M_LIMIT_EXCEEDED); try again in 3 s");
    assert.equal(describeError(new ConnectionError("cannot reach https://x.invalid: no such host")), "cannot reach https://x.invalid: no such host");
    assert.equal(describeError(new CliError("not logged in; run axon login first")), "not logged in; run axon login first");
    assert.equal(describeError("plain"), "plain");
  });
});

describe("colours", () => {
  it("only on a terminal, and never with NO_COLOR set", () => {
    assert.equal(colourEnabled({ isTTY: true }, {}), true);
    assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: "1" }), false);
    assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: "" }), true);
    assert.equal(colourEnabled({ isTTY: false }, {}), false);
    assert.equal(colourEnabled({}, {}), false);
  });
});

describe("lines", () => {
  it("presence, set and get lines", () => {
    assert.equal(presenceLine("@bob:example.org", "busy", "in a call"), '@bob:example.org busy "in a call"');
    assert.equal(presenceLine("@bob:example.org", "offline", null), "@bob:example.org offline");
    const noEnd = { until: null, untilUnsupported: false };
    assert.equal(setLine({ requested: "busy", applied: "busy", fallback: false, statusMsg: "in a call", ...noEnd }, NOW), 'You are busy: "in a call"');
    assert.equal(setLine({ requested: "online", applied: "online", fallback: false, statusMsg: null, ...noEnd }, NOW), "You are online");
    assert.equal(
      setLine({ requested: "busy", applied: "unavailable", fallback: true, statusMsg: null, ...noEnd }, NOW),
      "This server does not support busy; you now appear unavailable.",
    );
    const at = new Date(NOW);
    at.setHours(23, 58, 0, 0);
    const end = at.getTime() > NOW ? at.getTime() : NOW + 60_000;
    const hhmm = formatUntil(end, NOW);
    assert.match(hhmm, /^\d\d:\d\d$/, "an end later today is shown as a time");
    assert.equal(setLine({ requested: "busy", applied: "busy", fallback: false, statusMsg: "workshop", until: end, untilUnsupported: false }, NOW), `You are busy: "workshop" until ${hhmm}`);
    assert.equal(
      setLine({ requested: "busy", applied: "busy", fallback: false, statusMsg: null, until: null, untilUnsupported: true }, NOW),
      "You are busy. This server cannot end a status by itself: it stays until you change it.",
    );
    assert.equal(presenceLine("@bob:example.org", "busy", "x", end, NOW), `@bob:example.org busy "x" until ${hhmm}`);
    const info = { userId: "@bob:example.org", state: "busy" as const, raw: "org.matrix.msc3026.busy", statusMsg: "in a call", lastActiveAgo: 180_000, currentlyActive: false, until: null };
    assert.equal(getLine(info, NOW), '@bob:example.org busy "in a call" (active 3 min ago)');
    assert.equal(getLine({ ...info, state: "unknown", raw: "dnd", statusMsg: null, lastActiveAgo: null }, NOW), '@bob:example.org unknown ("dnd")');
    assert.deepEqual(getJson(info), {
      user_id: "@bob:example.org",
      presence: "busy",
      raw: "org.matrix.msc3026.busy",
      status_msg: "in a call",
      last_active_ago: 180_000,
      currently_active: false,
      until: null,
    });
  });

  it("fit cuts with an ellipsis", () => {
    assert.equal(fit("abcdef", 4), "abc…");
    assert.equal(fit("abc", 4), "abc");
    assert.equal(fit("abc", 0), "");
  });
});

describe("renderTable", () => {
  const rows = [
    row("@olga:x", "offline", { lastActiveAt: NOW - 2 * 3600_000 }),
    row("@ann:x", "unavailable", { statusMsg: "back soon" }),
    row("@bob:x", "busy", { displayName: "Bob", statusMsg: "in a call", lastActiveAt: NOW - 180_000 }),
    row("@otto:x", "online", { currentlyActive: true }),
    row("@aaron:x", "online", { lastActiveAt: NOW - 5_000 }),
  ];
  const opts = { now: NOW, colour: false, columns: 100, maxLines: 40, title: "Presence · live", empty: "(nobody)" };

  it("sorts busy, online, away, offline (by name within a state), with the state as words and when each was active", () => {
    const lines = renderTable(rows, opts);
    assert.equal(lines[0], "Presence · live");
    assert.match(lines[1]!, /^NAME\s+STATE\s+STATUS\s+LAST ACTIVE$/);
    const body = lines.slice(2);
    assert.deepEqual(
      body.map((l) => l.split(/\s+/)[0]),
      ["Bob", "@aaron:x", "@otto:x", "@ann:x", "@olga:x"],
    );
    assert.match(body[0]!, /^Bob \(@bob:x\)\s+● Busy\s+in a call\s+active 3 min ago$/);
    assert.match(body[1]!, /● Online\s+active just now$/);
    assert.match(body[2]!, /● Online\s+active now$/);
    assert.match(body[3]!, /● Away\s+back soon$/);
    assert.match(body[4]!, /● Offline\s+active 2 h ago$/);
    assert.doesNotMatch(lines.join("\n"), ANSI);
  });

  it("colours the dot by state only when asked", () => {
    const lines = renderTable(rows, { ...opts, colour: true });
    assert.ok(lines[2]!.includes("\x1b[31m●\x1b[0m"), lines[2]); // busy: red
    assert.ok(lines[3]!.includes("\x1b[32m●\x1b[0m"), lines[3]); // online: green
    assert.ok(lines[5]!.includes("\x1b[33m●\x1b[0m"), lines[5]); // away: yellow
    assert.ok(lines[6]!.includes("\x1b[90m●\x1b[0m"), lines[6]); // offline: grey
  });

  it("fits the terminal: no line wider than it, no more lines than it has", () => {
    const long = [...rows, row("@z:x", "busy", { statusMsg: "a very long status message ".repeat(5) })];
    const narrow = renderTable(long, { ...opts, columns: 50 });
    assert.ok(narrow.every((l) => [...l].length <= 49), narrow.join("\n"));
    assert.ok(narrow.some((l) => l.includes("…")));
    const short = renderTable(long, { ...opts, maxLines: 5 });
    assert.equal(short.length, 5);
    assert.equal(short[4], "… and 4 more");
    assert.deepEqual(renderTable([], opts).slice(2), ["(nobody)"]);
  });
});
