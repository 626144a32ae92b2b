import type { PresenceState } from "@axon/protocol";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** What the metrics read when Prometheus scrapes (never on a request's path). */
export interface MetricSources {
  /** Long-polling /sync requests waiting now. */
  openLongPolls(): number;
  /** Users by presence state (those with any presence at all). */
  usersByState(): Record<PresenceState, number>;
  /** Presence changes published since start, and deliveries to watchers' inboxes. */
  presenceTotals(): { changes: number; deliveries: number };
  /** Requests the front thread handed to the main thread that are not answered yet (0 without one). */
  frontQueue(): number;
}

const STATES: readonly PresenceState[] = ["online", "unavailable", "busy", "offline"];
/** Seconds: a quick answer is a millisecond or two, a long-poll up to two minutes. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const DB_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * The server's Prometheus metrics (docs/metrics.md). Made only when `metrics.enabled`: with it off
 * nothing here exists and no hook is installed. Requests cost one counter increment and one
 * histogram observation; everything else is read at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"method" | "route" | "status">;
  private readonly latency: Histogram<"method" | "route">;
  private readonly dbCommit: Histogram;
  private readonly dbQuery: Histogram<"op">;
  private sources: MetricSources | null = null;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: "axon_http_requests_total", help: "HTTP requests answered, by method, route pattern and status.", labelNames: ["method", "route", "status"], registers });
    this.latency = new Histogram({ name: "axon_http_request_duration_seconds", help: "Time to answer, by method and route pattern (a long-poll counts its wait).", labelNames: ["method", "route"], buckets: LATENCY_BUCKETS, registers });
    this.dbCommit = new Histogram({ name: "axon_db_commit_duration_seconds", help: "Time of each database transaction commit.", buckets: DB_BUCKETS, registers });
    this.dbQuery = new Histogram({ name: "axon_db_query_duration_seconds", help: "Time of each database statement, by kind (select, insert, update, delete, other).", labelNames: ["op"], buckets: DB_BUCKETS, registers });
    const src = (): MetricSources | null => this.sources;
    new Gauge({ name: "axon_sync_long_polls", help: "Long-polling /sync requests waiting now.", registers, collect() { this.set(src()?.openLongPolls() ?? 0); } });
    new Gauge({
      name: "axon_presence_users",
      help: "Users by presence state.",
      labelNames: ["state"],
      registers,
      collect() {
        const counts = src()?.usersByState();
        for (const s of STATES) this.set({ state: s }, counts?.[s] ?? 0);
      },
    });
    // Counters read from running totals: the presence path only adds to plain numbers.
    const totals = (pick: (t: { changes: number; deliveries: number }) => number) =>
      function (this: Counter) {
        const now = src()?.presenceTotals();
        if (!now) return;
        this.reset();
        this.inc(pick(now));
      };
    new Counter({ name: "axon_presence_changes_total", help: "Presence changes published (use rate() for changes per second).", registers, collect: totals((t) => t.changes) });
    new Counter({ name: "axon_presence_deliveries_total", help: "Presence changes delivered to watchers' inboxes (fan-out; use rate() per second).", registers, collect: totals((t) => t.deliveries) });
    new Gauge({ name: "axon_front_thread_queue", help: "Requests handed from the front thread to the main thread, not answered yet (long-polls excluded).", registers, collect() { this.set(src()?.frontQueue() ?? 0); } });
  }

  /** Connects the scrape-time readings, once the services exist. */
  attach(sources: MetricSources): void {
    this.sources = sources;
  }

  /** One answered request. `route` is the route pattern, never the raw path (bounded labels). */
  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status });
    this.latency.observe({ method, route }, seconds);
  }

  /** One database statement, from the query builder's log. */
  query(sql: string, ms: number): void {
    const op = opOf(sql);
    if (op === "commit") this.dbCommit.observe(ms / 1000);
    else this.dbQuery.observe({ op }, ms / 1000);
  }
}

function opOf(sql: string): string {
  const word = /^\s*([a-zA-Z]+)/.exec(sql)?.[1]?.toLowerCase();
  switch (word) {
    case "commit":
    case "select":
    case "insert":
    case "update":
    case "delete":
      return word;
    default:
      return "other";
  }
}
