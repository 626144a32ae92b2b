import assert from "node:assert/strict";
import { test } from "node:test";
import { parseListenOverflows, parseStatTicks, parseStatusKiB, parseSystemBusyTicks } from "./proc-stats";
import { latencySeries } from "./report";
import { formatTable, resultFileName, validateResult, type BenchResult } from "./result";
import { summarize } from "./stats";
import { renderChart } from "./svg-chart";

function sample(rate: number, p99: number, startedAt = "2025-01-01T00:00:00.000Z"): BenchResult {
  return {
    scenario: "fanout",
    started_at: startedAt,
    command: "npm run bench -- fanout",
    git_commit: "abc123",
    machine: { cpus: 2, cpu_model: "x", node: "v20" },
    options: { users: 1000, rate },
    window_s: 30,
    server: { db: "sqlite", cpu_s: 3, cpu_pct: 10, rss_mib: 100, peak_rss_mib: 120 },
    generator: { cpu_s: 5, cpu_pct: 16, bound: false },
    deliveries: { changes: 10, expected: 100, seen: 100, lost: 0, unmatched: 0, unexpected: 0, unmatched_by_state: {}, per_s: 3.3 },
    latency_ms: { ...summarize([1, 2, 3]), p99 },
    put: { sent: 10, ok: 10, errors: 0, latency_ms: summarize([1]), achieved_rate: rate },
    syncs: { responses: 100, woken: 90, events: 100, errors: 0, errors_by_status: {} },
    cpu_per_woken_sync_ms: 0.2,
    warnings: [],
  };
}

test("a complete fanout result validates; missing sections are named", () => {
  assert.deepEqual(validateResult(sample(50, 10)), []);
  const broken = { ...sample(50, 10), latency_ms: undefined, generator: undefined };
  assert.deepEqual(validateResult(broken), ["generator", "latency_ms"]);
  assert.deepEqual(validateResult(null), ["not an object"]);
  assert.deepEqual(validateResult(JSON.parse(JSON.stringify(sample(5, 1)))), []);
});

test("file names are safe and sortable by time", () => {
  assert.equal(resultFileName(sample(1, 1)), "fanout-2025-01-01T00-00-00-000Z.json");
});

test("a cluster result is named after its measurement and lists each process", () => {
  const r: BenchResult = {
    ...sample(50, 20),
    scenario: "cluster",
    options: { measurement: "failover", users: 1000, rate: 50 },
    processes: [
      { pid: 11, url: "http://127.0.0.1:1", role: "owner (killed)", cpu_s: 1, cpu_pct: 5, rss_mib: 300, peak_rss_mib: 310 },
      { pid: 12, url: "http://127.0.0.1:2", role: "follower", cpu_s: 2, cpu_pct: 10, rss_mib: 300, peak_rss_mib: 310, cpu_per_woken_sync_ms: 0.25, fds: 400 },
    ],
  };
  assert.deepEqual(validateResult(r), []);
  assert.equal(resultFileName(r), "cluster-failover-2025-01-01T00-00-00-000Z.json");
  const text = formatTable(r);
  assert.match(text, /2 processes/);
  assert.match(text, /pid 11 owner \(killed\)\s+CPU 1\.00 s \(5\.0 %\), RSS 300\.0 MiB/);
  assert.match(text, /pid 12 follower\s+CPU 2\.00 s \(10\.0 %\), RSS 300\.0 MiB, 0\.250 ms per woken sync, 400 fds/);
});

test("the table shows deliveries, percentiles and a generator-bound warning", () => {
  const r = { ...sample(50, 12.5), generator: { cpu_s: 28, cpu_pct: 93, bound: true }, warnings: ["generator-bound"] };
  const text = formatTable(r);
  assert.match(text, /expected 100, seen 100, lost 0/);
  assert.match(text, /p50 2\.0 ms, p90 3\.0, p99 12\.5/);
  assert.match(text, /GENERATOR-BOUND/);
});

test("report: one p99 and one p50 line per group, one point per rate, latest run wins", () => {
  const series = latencySeries([sample(100, 30), sample(50, 10), sample(50, 20, "2025-02-01T00:00:00.000Z")]);
  assert.equal(series.length, 2);
  assert.deepEqual(series[0]?.points, [{ x: 50, y: 20 }, { x: 100, y: 30 }]);
  const svg = renderChart({ title: "t", xLabel: "x", yLabel: "y", series });
  assert.match(svg, /^<svg /);
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
});

test("/proc parsing survives spaces and parens in the process name", () => {
  const stat = "1234 (node (a) b) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0";
  assert.equal(parseStatTicks(stat), 300);
  assert.equal(parseStatusKiB("Name:\tnode\nVmRSS:\t  204800 kB\n", "VmRSS"), 200);
  assert.ok(Number.isNaN(parseStatusKiB("Name:\tnode\n", "VmHWM")));
  assert.equal(parseListenOverflows("IpExt: A B\nTcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 17 17\n"), 17);
  assert.ok(Number.isNaN(parseListenOverflows("")));
  assert.equal(parseSystemBusyTicks("cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 1 2 3\n"), 161);
});
