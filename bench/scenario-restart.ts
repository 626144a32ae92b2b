import { header, round, setUp, serverLabel } from "./harness";
import type { RestartOptions } from "./options";
import { inPool } from "./pool";
import { sampleProc } from "./proc-stats";
import type { BenchResult } from "./result";
import { STATE_CYCLE } from "./scenario-fanout";
import { presenceEventsOf } from "./sync-watchers";

/** restart: N users with presence stored; how long until the new process listens and serves a sync. */
export async function runRestart(o: RestartOptions): Promise<BenchResult> {
  const bench = await setUp(o);
  try {
    const { users, log } = bench;
    log(`storing presence for ${o.users} users`);
    let stored = 0;
    await inPool(users, 32, async (u) => {
      const state = STATE_CYCLE[u.index % STATE_CYCLE.length] as string;
      const res = await bench.client.request("PUT", `/_matrix/client/v3/presence/${encodeURIComponent(u.userId)}/status`, {
        token: u.token,
        body: { presence: state, status_msg: `bench ${u.index}` },
      });
      if (res.status === 200) stored++;
    });
    const before = sampleProc(bench.server.pid);
    log("restarting the server");
    const wall0 = performance.now();
    const gen0 = process.cpuUsage();
    await bench.restart();
    const readyMs = bench.server.readyMs;
    const probe = users[0]!;
    const first = await bench.client.request("GET", "/_matrix/client/v3/sync?timeout=0&set_presence=offline", { token: probe.token });
    const after = sampleProc(bench.server.pid);
    const wallS = (performance.now() - wall0) / 1000;
    const genCpu = (process.cpuUsage(gen0).user + process.cpuUsage(gen0).system) / 1e6;
    const restored = presenceEventsOf(first.body).filter((e) => e.sender !== probe.userId).length;
    const warnings: string[] = [];
    if (stored < users.length) warnings.push(`only ${stored} of ${users.length} presence PUTs succeeded before the restart`);
    if (first.status !== 200) warnings.push(`first sync after restart failed: ${first.status}`);
    return {
      ...header("restart", o),
      window_s: round(wallS),
      server: { db: serverLabel(o), cpu_s: round(after.cpuS), cpu_pct: round((100 * after.cpuS) / wallS), rss_mib: round(after.rssMiB), peak_rss_mib: round(after.peakRssMiB) },
      generator: { cpu_s: round(genCpu), cpu_pct: round((100 * genCpu) / wallS), bound: false },
      warnings,
      extra: {
        presence_stored: stored,
        rss_before_restart_mib: round(before.rssMiB),
        start_to_listening_ms: round(readyMs),
        first_sync_ms: round(first.ms),
        start_to_first_sync_ms: round(readyMs + first.ms),
        presence_events_in_first_sync: restored,
      },
    };
  } finally {
    await bench.close();
  }
}
