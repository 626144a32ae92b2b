// When a status ends: `--until 14:00` or `--for 90m` on `axon presence set`, and how an end is shown.
import { CliError, two } from "./output";

/**
 * `--until`: a time today ("14:00", "9:30") or a date and time ("2026-12-01T14:00", read as local
 * time when it has no zone). The time must be ahead: a time of day that has passed is refused.
 */
export function parseUntil(text: string, now: number): number {
  const hm = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  let at: number;
  if (hm) {
    const [h, m] = [Number(hm[1]), Number(hm[2])];
    if (h > 23 || m > 59) throw new CliError(`"${text}" is not a time of day (use e.g. 14:00)`);
    const d = new Date(now);
    d.setHours(h, m, 0, 0);
    at = d.getTime();
    if (at <= now) throw new CliError(`${text} has already passed today; give a date (e.g. 2026-12-01T${two(h)}:${two(m)}) or use --for`);
  } else {
    at = Date.parse(text.trim());
    if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim()) || Number.isNaN(at)) throw new CliError(`"${text}" is not a time (use e.g. 14:00 or 2026-12-01T14:00)`);
    if (at <= now) throw new CliError(`${text} is in the past`);
  }
  return at;
}

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** `--for`: a length such as 90m, 1h30m, 2h, 1d (days, hours, minutes, seconds). */
export function parseFor(text: string, now: number): number {
  const t = text.trim().toLowerCase();
  if (!/^(\d+[dhms])+$/.test(t)) throw new CliError(`"${text}" is not a length of time (use e.g. 30m, 1h30m, 2h, 1d)`);
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)([dhms])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  if (ms <= 0) throw new CliError(`"${text}" is no time at all`);
  return now + ms;
}
