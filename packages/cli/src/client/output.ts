// What the client commands print: errors as one line, colours (or none), presence lines and the watch table.
import { activeAgo, ConnectionError, MatrixError, presenceLabel, presenceRank, type PresenceState } from "@axon/sdk";

/** An error meant for the person at the terminal: printed as `axon: <message>`, never with a stack. */
export class CliError extends Error {
  override readonly name = "CliError";
}

const EXPIRED = "your session has expired or was logged out; run axon login again";

/** One line for any error a client command can meet (without the `axon: ` prefix). */
export function describeError(err: unknown): string {
  if (err instanceof CliError) return err.message;
  if (err instanceof ConnectionError) return connectionText(err);
  if (err instanceof MatrixError) {
    if (err.errcode === "M_UNKNOWN_TOKEN" || err.errcode === "M_MISSING_TOKEN") return EXPIRED;
    if (err.errcode === "M_LIMIT_EXCEEDED") return `the server asks to slow down (M_LIMIT_EXCEEDED); try again${err.retryAfterMs ? ` in ${Math.ceil(err.retryAfterMs / 1000)} s` : " later"}`;
    return `${err.errcode}: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The SDK's "cannot reach URL: why" already says why. */
const connectionText = (err: ConnectionError): string => err.message;

/** Colour only on a terminal, and never when `NO_COLOR` is set to anything non-empty (no-color.org). */
export function colourEnabled(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

const SGR = { green: 32, red: 31, yellow: 33, grey: 90, bold: 1, dim: 2 } as const;
export type Style = keyof typeof SGR;

export const paint = (on: boolean, style: Style, text: string): string => (on ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text);

const STATE_COLOUR: Record<PresenceState | "unknown", Style> = { online: "green", busy: "red", unavailable: "yellow", offline: "grey", unknown: "grey" };

/** `@bob:example.org busy "in a call" until 14:00`: the plain form of a presence, one line per person. */
export function presenceLine(userId: string, state: PresenceState | "unknown", statusMsg: string | null, until: number | null = null, now = 0): string {
  return `${userId} ${state}${statusMsg ? ` ${JSON.stringify(statusMsg)}` : ""}${until !== null ? ` until ${formatUntil(until, now)}` : ""}`;
}

/** One person in the watch table. */
export interface Row {
  userId: string;
  displayName: string | null;
  state: PresenceState | "unknown";
  statusMsg: string | null;
  /** Clock time of the last activity, when known. */
  lastActiveAt: number | null;
  currentlyActive: boolean | null;
  /** When their status ends by itself, if it does. */
  until?: number | null;
}

/** Busy, online, away, offline, unknown; by name within each. */
export function sortRows(rows: readonly Row[]): Row[] {
  const key = (r: Row) => (r.displayName ?? r.userId).toLowerCase();
  return [...rows].sort((a, b) => presenceRank(a.state) - presenceRank(b.state) || key(a).localeCompare(key(b)) || a.userId.localeCompare(b.userId));
}

/** Cuts text to `max` characters, marking the cut with an ellipsis. */
export function fit(text: string, max: number): string {
  if (max <= 0) return "";
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

const width = (text: string) => [...text].length;
const pad = (text: string, n: number) => text + " ".repeat(Math.max(0, n - width(text)));

export interface TableOptions {
  now: number;
  colour: boolean;
  /** Terminal columns: no line is longer (so nothing wraps and the redraw stays in place). */
  columns: number;
  /** Terminal lines: a longer table ends with "… and N more" (a redraw can only reach what is on screen). */
  maxLines: number;
  /** The first line: who is watching and how the connection is. */
  title: string;
  /** Said in place of rows when there are none. */
  empty: string;
}

/** The watch table as lines: a title, a header, then one row a person (sorted), each cut to the terminal's width. */
export function renderTable(rows: readonly Row[], opts: TableOptions): string[] {
  const max = Math.max(20, opts.columns - 1);
  const cells = sortRows(rows).map((r) => ({
    row: r,
    name: fit(r.displayName ? `${r.displayName} (${r.userId})` : r.userId, 40),
    state: presenceLabel(r.state),
    active: r.state === "online" && r.currentlyActive ? "active now" : activeAgo(r.lastActiveAt, opts.now),
    status: [r.statusMsg ?? "", r.until != null ? `until ${formatUntil(r.until, opts.now)}` : ""].filter(Boolean).join(" · "),
  }));
  const head = { name: "NAME", state: "STATE", status: "STATUS", active: "LAST ACTIVE" };
  const nameW = Math.max(width(head.name), ...cells.map((c) => width(c.name)));
  const stateW = 2 + Math.max(width(head.state), ...cells.map((c) => width(c.state)));
  const activeW = Math.max(width(head.active), ...cells.map((c) => width(c.active)));
  const fixed = nameW + 2 + stateW + 2 + 2 + activeW;
  const statusW = Math.max(6, Math.min(40, max - fixed, Math.max(width(head.status), ...cells.map((c) => width(c.status)))));
  const line = (name: string, state: string, status: string, active: string) =>
    fit(`${pad(name, nameW)}  ${pad(state, stateW)}  ${pad(fit(status, statusW), statusW)}  ${active}`.trimEnd(), max);
  const out = [paint(opts.colour, "bold", fit(opts.title, max)), paint(opts.colour, "dim", line(head.name, `  ${head.state}`, head.status, head.active))];
  if (cells.length === 0) out.push(fit(opts.empty, max));
  const room = Math.max(1, opts.maxLines - out.length);
  const shown = cells.length > room ? cells.slice(0, room - 1) : cells;
  for (const c of shown) {
    const text = line(c.name, `● ${c.state}`, c.status, c.active);
    // Colour the dot only, after the width is settled (escapes take no columns).
    const at = width(pad(c.name, nameW)) + 2;
    out.push(at < width(text) ? `${[...text].slice(0, at).join("")}${paint(opts.colour, STATE_COLOUR[c.row.state], "●")}${[...text].slice(at + 1).join("")}` : text);
  }
  if (shown.length < cells.length) out.push(`… and ${cells.length - shown.length} more`);
  return out;
}

export const two = (n: number) => String(n).padStart(2, "0");

/** "14:00" when the end is today (local time), else "2026-12-01 14:00". */
export function formatUntil(at: number, now: number): string {
  const d = new Date(at);
  const n = new Date(now);
  const time = `${two(d.getHours())}:${two(d.getMinutes())}`;
  if (d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate()) return time;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}`;
}
