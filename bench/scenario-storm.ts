import { DeliveryTracker } from "./delivery-tracker";
import { header, round, setUp, Window, serverLabel, waitForQuiet } from "./harness";
import type { StormOptions } from "./options";
import { sleep } from "./pool";
import type { BenchResult } from "./result";
import { Samples } from "./stats";
import { SyncWatchers } from "./sync-watchers";
import { audience, rng, shuffled } from "./topology";

/**
 * storm: every user starts syncing (set_presence online) within T seconds, the 9 a.m. rush.
 * X's first sync makes X online; each user already long-polling who shares a room with X must
 * see it. Users whose initial sync was not back yet get X's state inside it instead: not counted.
 */
export async function runStorm(o: StormOptions): Promise<BenchResult> {
  const bench = await setUp(o);
  try {
    const { client, users, topology, log } = bench;
    const audiences = topology.roomsOf.map((_, u) => audience(topology, u));
    const established = new Uint8Array(o.users);
    const tracker = new DeliveryTracker((w, s) => audiences[s]!.includes(w));
    const sync = new SyncWatchers(client, {
      timeoutMs: o.syncTimeoutMs,
      setPresence: "online",
      onPresence: (w, ev, at) => {
        const sender = bench.indexOf.get(ev.sender);
        if (sender !== undefined) tracker.recordEvent(w, sender, ev.state, at);
      },
    });
    const order = shuffled(o.users, rng(o.seed + 2));
    const initialMs = new Samples();
    let initialErrors = 0;
    // How long failed initial syncs lasted: a constant points at a server-side timeout.
    const failedAfterMs = new Samples();
    const starts: Promise<void>[] = [];
    log(`storm: ${o.users} users start syncing within ${o.withinS} s`);
    const quietWaitS = await waitForQuiet(bench.server.pid, o.quietWaitS, bench.log);
    const window = await Window.open(bench.server);
    const start = performance.now();
    for (let i = 0; i < order.length; i++) {
      const due = start + (i * o.withinS * 1000) / order.length;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const x = order[i] as number;
      const sentAt = performance.now();
      tracker.recordChange(x, "online", sentAt, audiences[x]!.filter((w) => w !== x && established[w] === 1));
      starts.push(
        sync.initialOne(users[x]!, "online").then(
          (at) => {
            initialMs.push(at - sentAt);
            established[x] = 1;
            sync.start([users[x]!]);
          },
          () => {
            initialErrors++;
            failedAfterMs.push(performance.now() - sentAt);
          },
        ),
      );
    }
    await Promise.all(starts);
    const drainUntil = performance.now() + o.drainS * 1000;
    while (tracker.outstanding() > 0 && performance.now() < drainUntil) await sleep(20);
    const measured = await window.close(serverLabel(o), o.cpuProf, "storm");
    sync.stop();
    const counts = tracker.counts();
    const s = sync.stats;
    const warnings = [...measured.warnings];
    if (initialErrors + s.errors > 0) warnings.push(`${initialErrors} initial sync errors, ${s.errors - initialErrors} long-poll errors`);
    if (counts.lost > 0) warnings.push(`${counts.lost} presence deliveries lost`);
    return {
      ...header("storm", o),
      ...measured,
      warnings,
      deliveries: { ...counts, per_s: round(counts.seen / measured.window_s) },
      latency_ms: tracker.latencies.summary(),
      syncs: { responses: s.responses, woken: s.woken, events: s.events, errors: s.errors, errors_by_status: s.errorsByStatus },
      cpu_per_woken_sync_ms: s.woken ? round((measured.server.cpu_s * 1000) / (s.woken + o.users), 3) : Number.NaN,
      extra: {
        quiet_wait_s: quietWaitS,
        initial_sync_p50_ms: initialMs.summary().p50,
        initial_sync_p99_ms: initialMs.summary().p99,
        initial_sync_errors: initialErrors,
        ...(initialErrors > 0 ? { failed_initial_sync_min_ms: round(Math.min(...failedAfterMs.view())), failed_initial_sync_max_ms: failedAfterMs.summary().max } : {}),
        rooms: topology.rooms.length,
      },
    };
  } finally {
    await bench.close();
  }
}
