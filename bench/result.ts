import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type { DeliveryCounts } from "./delivery-tracker";
import type { Summary } from "./stats";

/** One server process of a cluster over the window. */
export interface ProcessFigures {
  pid: number;
  url: string;
  /** owner or follower (at the start of the window), when known. */
  role?: string;
  cpu_s: number;
  cpu_pct: number;
  rss_mib: number;
  peak_rss_mib: number;
  /** Server CPU ms per woken /sync answered by this process, when known. */
  cpu_per_woken_sync_ms?: number;
  /** Open descriptors of the process (its long-polls), when counted. */
  fds?: number;
}

/** What every run writes to bench/results/<scenario>-<timestamp>.json; `report` reads it back. */
export interface BenchResult {
  scenario: "fanout" | "bigroom" | "storm" | "idle" | "restart" | "cluster";
  /** ISO time the run started. */
  started_at: string;
  /** The command line that produced it, to repeat the run. */
  command: string;
  git_commit: string;
  machine: { cpus: number; cpu_model: string; node: string };
  options: Record<string, unknown>;
  /** Measured window, seconds (set-up excluded). */
  window_s: number;
  server: {
    db: string;
    cpu_s: number;
    /** Per cent of one core over the window. */
    cpu_pct: number;
    rss_mib: number;
    peak_rss_mib: number;
  };
  /** The generator's own CPU and event-loop delay: a stalled generator delays what it measures. */
  generator: { cpu_s: number; cpu_pct: number; bound: boolean; loop_delay_p99_ms?: number; loop_delay_max_ms?: number };
  /** CPU used by other processes on the box during the window, per cent of one core. */
  other_cpu_pct?: number;
  /** Connections the kernel dropped because an accept queue was full during the window (whole machine). */
  listen_overflows?: number;
  deliveries?: DeliveryCounts & { per_s: number };
  latency_ms?: Summary;
  put?: { sent: number; ok: number; errors: number; latency_ms: Summary; achieved_rate: number };
  syncs?: { responses: number; woken: number; events: number; errors: number; errors_by_status: Record<string, number> };
  /** Server CPU ms per /sync response that carried presence. */
  cpu_per_woken_sync_ms?: number;
  /** Several server processes (cluster): `server` holds their sums, this each one. */
  processes?: ProcessFigures[];
  /** Figures of a window before the main one (cluster polls: the idle window). */
  phases?: { name: string; window_s: number; server_cpu_s: number; server_cpu_pct: number; other_cpu_pct?: number; sync_responses?: number; processes: ProcessFigures[] }[];
  /** The run this one is compared with (cluster fanout: the same scenario on one process), and its figures. */
  compared_with?: Record<string, string | number>;
  /** Scenario-specific figures (ms, MiB, counts). */
  extra?: Record<string, number>;
  warnings: string[];
}

/** Above this share of one core the generator, not the server, may be what limits the run. */
export const GENERATOR_BOUND_PCT = 85;

export function machine(): BenchResult["machine"] {
  const c = cpus();
  return { cpus: c.length, cpu_model: c[0]?.model ?? "unknown", node: process.version };
}

/** The commit measured; "+dirty" when tracked files differ from it (the code measured is not that commit). */
export function gitCommit(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const changed = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim();
    return changed === "" ? commit : `${commit}+dirty`;
  } catch {
    return "unknown";
  }
}

/** Checks the fields `report` and the docs rely on; returns the problems (empty: valid). */
export function validateResult(r: unknown): string[] {
  const problems: string[] = [];
  const o = r as Partial<BenchResult> | null;
  if (!o || typeof o !== "object") return ["not an object"];
  if (!["fanout", "bigroom", "storm", "idle", "restart", "cluster"].includes(String(o.scenario))) problems.push("scenario");
  for (const k of ["started_at", "command", "git_commit"] as const) if (typeof o[k] !== "string") problems.push(k);
  if (typeof o.window_s !== "number") problems.push("window_s");
  if (!o.server || typeof o.server.cpu_s !== "number" || typeof o.server.rss_mib !== "number") problems.push("server");
  if (!o.generator || typeof o.generator.bound !== "boolean") problems.push("generator");
  if (!Array.isArray(o.warnings)) problems.push("warnings");
  if (o.scenario === "fanout" || o.scenario === "bigroom") {
    if (!o.deliveries || typeof o.deliveries.expected !== "number") problems.push("deliveries");
    if (!o.latency_ms || typeof o.latency_ms.p99 !== "number") problems.push("latency_ms");
    if (!o.put) problems.push("put");
  }
  return problems;
}

export function resultFileName(r: BenchResult): string {
  const name = r.scenario === "cluster" && typeof r.options.measurement === "string" ? `cluster-${r.options.measurement}` : r.scenario;
  return `${name}-${r.started_at.replace(/[:.]/g, "-")}.json`;
}

export function writeResult(r: BenchResult, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, resultFileName(r));
  writeFileSync(path, `${JSON.stringify(r, null, 2)}\n`);
  return path;
}

const fmt = (x: number | undefined, digits = 1) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(digits));

/** The human-readable table printed at the end of a run. */
export function formatTable(r: BenchResult): string {
  const rows: [string, string][] = [
    ["scenario", `${r.scenario} (${r.server.db})`],
    ["options", Object.entries(r.options).map(([k, v]) => `${k}=${String(v)}`).join(" ")],
    ["window", `${fmt(r.window_s)} s`],
  ];
  if (r.deliveries) {
    const d = r.deliveries;
    rows.push(["deliveries", `expected ${d.expected}, seen ${d.seen}, lost ${d.lost} (${fmt(d.per_s, 0)}/s; changes ${d.changes})`]);
    const byState = Object.entries(d.unmatched_by_state ?? {}).map(([k, v]) => `${k} ${v}`).join(", ");
    rows.push(["  other events", `unmatched ${d.unmatched}${byState ? ` (${byState})` : ""}, leaked ${d.unexpected}`]);
  }
  if (r.latency_ms) {
    const l = r.latency_ms;
    rows.push(["fan-out latency", `p50 ${fmt(l.p50)} ms, p90 ${fmt(l.p90)}, p99 ${fmt(l.p99)}, max ${fmt(l.max)}`]);
  }
  if (r.put) {
    const p = r.put;
    rows.push(["PUT presence", `${p.ok}/${p.sent} ok (${fmt(p.achieved_rate)}/s), p50 ${fmt(p.latency_ms.p50)} ms, p99 ${fmt(p.latency_ms.p99)}`]);
  }
  if (r.syncs) {
    rows.push(["syncs", `${r.syncs.responses} responses, ${r.syncs.woken} woken, ${r.syncs.errors} errors ${JSON.stringify(r.syncs.errors_by_status)}`]);
  }
  rows.push(["server", `CPU ${fmt(r.server.cpu_s, 2)} s (${fmt(r.server.cpu_pct)} % of a core), RSS ${fmt(r.server.rss_mib)} MiB (peak ${fmt(r.server.peak_rss_mib)})${r.processes ? `, ${r.processes.length} processes` : ""}`]);
  for (const p of r.processes ?? []) {
    const extra = [p.cpu_per_woken_sync_ms === undefined ? "" : `, ${fmt(p.cpu_per_woken_sync_ms, 3)} ms per woken sync`, p.fds === undefined ? "" : `, ${p.fds} fds`].join("");
    rows.push([`  pid ${p.pid}${p.role ? ` ${p.role}` : ""}`, `CPU ${fmt(p.cpu_s, 2)} s (${fmt(p.cpu_pct)} %), RSS ${fmt(p.rss_mib)} MiB${extra}`]);
  }
  if (r.cpu_per_woken_sync_ms !== undefined) rows.push(["CPU per woken sync", `${fmt(r.cpu_per_woken_sync_ms, 3)} ms`]);
  const g = r.generator;
  const loop = g.loop_delay_max_ms === undefined ? "" : `, event-loop delay p99 ${fmt(g.loop_delay_p99_ms)} ms, max ${fmt(g.loop_delay_max_ms)}`;
  rows.push(["generator", `CPU ${fmt(g.cpu_s, 2)} s (${fmt(g.cpu_pct)} %)${loop}${g.bound ? " GENERATOR-BOUND" : ""}`]);
  if (r.other_cpu_pct !== undefined) rows.push(["other processes", `${fmt(r.other_cpu_pct)} % of a core`]);
  for (const [k, v] of Object.entries(r.extra ?? {})) rows.push([k, fmt(v, 1)]);
  for (const w of r.warnings) rows.push(["WARNING", w]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}
