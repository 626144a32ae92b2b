import { header, setUp, Window, serverLabel, waitForQuiet } from "./harness";
import type { IdleOptions } from "./options";
import { sleep } from "./pool";
import type { BenchResult } from "./result";
import { SyncWatchers } from "./sync-watchers";

/** idle: everyone long-polls, nothing changes; what timers and long-poll renewals cost alone. */
export async function runIdle(o: IdleOptions): Promise<BenchResult> {
  const bench = await setUp(o);
  try {
    const sync = new SyncWatchers(bench.client, { timeoutMs: o.syncTimeoutMs, setPresence: "offline", onPresence: () => {} });
    bench.log(`initial sync of ${o.users} users`);
    await sync.initial(bench.users, 32);
    sync.start(bench.users);
    await sleep(Math.min(5000, 500 + o.users / 5));
    sync.resetStats();
    bench.log(`measuring ${o.durationS} s of idle long-polls`);
    const quietWaitS = await waitForQuiet(bench.server.pid, o.quietWaitS, bench.log);
    const window = await Window.open(bench.server);
    await sleep(o.durationS * 1000);
    const measured = await window.close(serverLabel(o), o.cpuProf, "idle");
    sync.stop();
    const s = sync.stats;
    const warnings = [...measured.warnings];
    if (s.errors > 0) warnings.push(`${s.errors} sync errors`);
    return {
      ...header("idle", o),
      ...measured,
      warnings,
      syncs: { responses: s.responses, woken: s.woken, events: s.events, errors: s.errors, errors_by_status: s.errorsByStatus },
      extra: {
        quiet_wait_s: quietWaitS, long_polls: o.users, rooms: bench.topology.rooms.length },
    };
  } finally {
    await bench.close();
  }
}
