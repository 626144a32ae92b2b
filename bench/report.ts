import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { validateResult, type BenchResult } from "./result";
import { renderChart, type Series } from "./svg-chart";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

/** Fan-out results grouped into one p50 and one p99 line per (scenario, users, db), x = changes/s. */
export function latencySeries(results: BenchResult[]): Series[] {
  const groups = new Map<string, BenchResult[]>();
  for (const r of results) {
    if ((r.scenario !== "fanout" && r.scenario !== "bigroom") || !r.latency_ms || !Number.isFinite(r.latency_ms.p99)) continue;
    const key = `${r.scenario} ${String(r.options.users)} users, ${r.server.db}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const series: Series[] = [];
  [...groups.entries()].forEach(([label, rs], i) => {
    // One point per rate: the latest run wins.
    const byRate = new Map<number, BenchResult>();
    for (const r of [...rs].sort((a, b) => a.started_at.localeCompare(b.started_at))) byRate.set(Number(r.options.rate), r);
    const sorted = [...byRate.entries()].sort((a, b) => a[0] - b[0]);
    const color = COLORS[i % COLORS.length] as string;
    series.push({ label: `${label} p99`, color, points: sorted.map(([x, r]) => ({ x, y: r.latency_ms!.p99 })) });
    series.push({ label: `${label} p50`, color, dashed: true, points: sorted.map(([x, r]) => ({ x, y: r.latency_ms!.p50 })) });
  });
  return series;
}

export function readResults(dir: string): BenchResult[] {
  const out: BenchResult[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".json")) continue;
    const parsed: unknown = JSON.parse(readFileSync(join(dir, name), "utf8"));
    if (validateResult(parsed).length === 0) out.push(parsed as BenchResult);
  }
  return out;
}

/** Writes the chart; returns how many results it drew from. */
export function writeReport(dir: string, svgPath: string): number {
  const results = readResults(dir);
  const series = latencySeries(results);
  writeFileSync(
    svgPath,
    renderChart({
      title: "Axon presence fan-out latency against load",
      xLabel: "presence changes per second (open loop)",
      yLabel: "PUT → watcher's /sync (log scale)",
      series,
      marks: [
        { y: 250, label: "target 250 ms" },
        { y: 1000, label: "1 s" },
      ],
    }),
  );
  return results.length;
}
