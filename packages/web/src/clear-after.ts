/** "Clear after": when a status you set ends by itself, as chat apps offer it ("today" by default). */
export const CLEAR_AFTER = [
  { value: "30m", label: "30 minutes" },
  { value: "1h", label: "1 hour" },
  { value: "4h", label: "4 hours" },
  { value: "today", label: "Today" },
  { value: "never", label: "Don't clear" },
] as const;

export type ClearAfter = (typeof CLEAR_AFTER)[number]["value"];
export const DEFAULT_CLEAR_AFTER: ClearAfter = "today";

const MINUTES: Partial<Record<ClearAfter, number>> = { "30m": 30, "1h": 60, "4h": 240 };

/** The end (ms since the epoch) for a choice at `now`; "today" is midnight tonight, local time; null: no end. */
export function clearAt(choice: ClearAfter, now: number): number | null {
  if (choice === "never") return null;
  const minutes = MINUTES[choice];
  if (minutes !== undefined) return now + minutes * 60_000;
  const midnight = new Date(now);
  midnight.setHours(24, 0, 0, 0);
  return midnight.getTime();
}

const two = (n: number) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "until 14:00" for an end today, "until midnight" at tonight's, "until 1 Dec 14:00" for another day (local time). */
export function untilText(at: number, now: number): string {
  const d = new Date(at);
  const n = new Date(now);
  if (at === clearAt("today", now)) return "until midnight";
  const time = `${two(d.getHours())}:${two(d.getMinutes())}`;
  const today = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  return today ? `until ${time}` : `until ${d.getDate()} ${MONTHS[d.getMonth()]} ${time}`;
}
