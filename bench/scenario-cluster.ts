// cluster fanout and cluster failover: the fan-out scenario across several Axon processes (one
// PostgreSQL, one Redis). Long-polls go round robin over the processes, each PUT to a random one
// (a follower forwards it to the owner). fanout also runs the same scenario on one process with
// PostgreSQL, same seed, to state the cluster's CPU against it; failover kills the owner (-9)
// midway and checks that no acknowledged PUT is lost. The polls measurement is scenario-cluster-polls.ts.
import { processOf, sumStats } from "./cluster-plan";
import { openFds, setUpCluster, type ClusterBench } from "./cluster-procs";
import { AckLedger, statusMsgOf, type AckVerdict } from "./failover-ledger";
import { header, round, Window, waitForQuiet } from "./harness";
import type { ClusterOptions, FanoutOptions } from "./options";
import { inPool, sleep } from "./pool";
import { resultFileName, type BenchResult, type ProcessFigures } from "./result";
import { driveChanges, fanoutPlan, fanoutSections, putPresence, runFanout, type FanoutPlan } from "./scenario-fanout";
import type { BenchUser } from "./seed";
import { SyncWatchers, type WatcherOptions } from "./sync-watchers";
import { rng } from "./topology";

export const clusterLog = () => {
  const t0 = performance.now();
  return (msg: string) => console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
};

/** Every watcher's long-poll running (initial sync, then the loop), settled before the clock starts. */
async function startWatching(c: ClusterBench, plan: FanoutPlan, sync: SyncWatchers[], of: (position: number) => number): Promise<void> {
  const groups = sync.map(() => [] as BenchUser[]);
  plan.watchers.forEach((w, i) => groups[of(i)]!.push(c.users[w]!));
  c.log(`initial sync of ${plan.watchers.length} watchers over ${c.servers.length} processes`);
  await Promise.all(sync.map((s, i) => s.initial(groups[i]!, 16)));
  sync.forEach((s, i) => s.start(groups[i]!));
  await sleep(Math.min(5000, 500 + plan.watchers.length / 5));
  for (const s of sync) s.resetStats();
}

const watcherOptions = (c: ClusterBench, o: ClusterOptions, plan: FanoutPlan): WatcherOptions => ({
  timeoutMs: o.syncTimeoutMs,
  setPresence: "offline",
  onPresence: (w, ev, at) => {
    const sender = c.indexOf.get(ev.sender);
    if (sender !== undefined) plan.tracker.recordEvent(w, sender, ev.state, at);
  },
});

/** Each process's role at the start, its share of the woken syncs' CPU, and its descriptors. */
function shapeProcesses(measured: ProcessFigures[] | undefined, ownerAtStart: number, woken?: readonly number[]): ProcessFigures[] {
  return (measured ?? []).map((p, i) => ({
    ...p,
    role: i === ownerAtStart ? "owner" : "follower",
    ...(woken && { cpu_per_woken_sync_ms: woken[i] ? round((p.cpu_s * 1000) / woken[i]!, 3) : Number.NaN }),
  }));
}

/** The fan-out options alone (the single-process run records no cluster options). */
export function fanoutOptionsOf(o: ClusterOptions): FanoutOptions {
  const { measurement: _m, processes: _p, redisUrl: _r, compare: _c, killAtS: _k, idleS: _i, perPoller: _pp, connectWithinS: _cw, indexDeviceLists: _x, ...rest } = o;
  return { ...rest, db: "postgres", server: "axon" };
}

/** cluster fanout: the fan-out scenario across the processes, then (unless --no-compare) on one. */
export async function runClusterFanout(o: ClusterOptions): Promise<BenchResult[]> {
  const log = clusterLog();
  const c = await setUpCluster(o, log);
  let result: BenchResult;
  try {
    const n = c.servers.length;
    const plan = fanoutPlan(o, c.topology);
    const sync = c.clients.map((client) => new SyncWatchers(client, watcherOptions(c, o, plan)));
    await startWatching(c, plan, sync, (i) => processOf(i, n));
    const owner = await c.ownerIndex();
    const pick = rng(o.seed + 2);
    log(`measuring: ${Math.round(o.rate * o.durationS)} changes at ${o.rate}/s, PUTs to random processes`);
    const quietWaitS = await waitForQuiet(c.servers.map((s) => s.pid), o.quietWaitS, log);
    const fds = c.servers.map((s) => openFds(s.pid));
    const window = await Window.open(c.servers);
    const run = await driveChanges({ ...o, plan, users: c.users, log, put: (u, ch) => putPresence(c.clients[Math.floor(pick() * n)]!, u, { presence: ch.state }) });
    const measured = await window.close("postgres", null, "cluster");
    for (const s of sync) s.stop();
    const processes = shapeProcesses(measured.processes, owner, sync.map((s) => s.stats.woken)).map((p, i) => ({ ...p, fds: fds[i]! }));
    result = {
      ...header("cluster", o),
      ...measured,
      ...fanoutSections(o, plan, run, sumStats(sync.map((s) => s.stats)), measured),
      processes,
      extra: { quiet_wait_s: quietWaitS, processes: n, rooms: c.topology.rooms.length, watchers: plan.watchers.length, schedule_lag_max_ms: round(run.maxLagMs) },
    };
  } finally {
    await c.close();
  }
  if (!o.compare) return [result];
  log("the same scenario on one process with PostgreSQL, for the comparison");
  const single = await runFanout(fanoutOptionsOf(o), "fanout");
  result.compared_with = {
    file: resultFileName(single),
    server_cpu_s: single.server.cpu_s,
    server_cpu_pct: single.server.cpu_pct,
    cpu_per_woken_sync_ms: single.cpu_per_woken_sync_ms ?? Number.NaN,
    latency_p50_ms: single.latency_ms?.p50 ?? Number.NaN,
    latency_p99_ms: single.latency_ms?.p99 ?? Number.NaN,
    cluster_cpu_ratio: round(result.server.cpu_s / single.server.cpu_s),
  };
  return [result, single];
}

/** cluster failover: fan-out across the processes; the owner is killed (-9) at --kill-at; then every acknowledged PUT is read back. */
export async function runClusterFailover(o: ClusterOptions): Promise<BenchResult[]> {
  const log = clusterLog();
  const c = await setUpCluster(o, log);
  try {
    const n = c.servers.length;
    const plan = fanoutPlan(o, c.topology);
    // A watcher's process; once it is gone, the next live one (a since token is good anywhere).
    const home = new Map(plan.watchers.map((w, i) => [w, processOf(i, n)]));
    const live = (i: number) => {
      for (let k = 0; k < n; k++) if (c.servers[(i + k) % n]!.alive()) return (i + k) % n;
      throw new Error("no process left");
    };
    const sync = new SyncWatchers((u) => c.clients[live(home.get(u.index) ?? 0)]!, watcherOptions(c, o, plan));
    await startWatching(c, plan, [sync], () => 0);
    const owner = await c.ownerIndex();
    const pick = rng(o.seed + 2);
    const ledger = new AckLedger();
    let killAt = Number.NaN;
    let firstDeliveryAfterKill = Number.NaN;
    let firstAckAfterKill = Number.NaN;
    let lastDeliveryBeforeKill = Number.NaN;
    let newOwner = -1;
    let newOwnerMs = Number.NaN;
    plan.tracker.onSeen = (sentAt, at) => {
      if (!(sentAt > killAt)) lastDeliveryBeforeKill = Number.isNaN(lastDeliveryBeforeKill) ? at : Math.max(lastDeliveryBeforeKill, at);
      else if (Number.isNaN(firstDeliveryAfterKill) || at < firstDeliveryAfterKill) firstDeliveryAfterKill = at;
    };
    log(`measuring: ${Math.round(o.rate * o.durationS)} changes at ${o.rate}/s; the owner (process ${owner}) is killed at ${o.killAtS} s`);
    const quietWaitS = await waitForQuiet(c.servers.map((s) => s.pid), o.quietWaitS, log);
    const window = await Window.open(c.servers);
    const killer = (async () => {
      await sleep(o.killAtS * 1000);
      const victim = await c.ownerIndex();
      window.checkpoint();
      killAt = performance.now();
      await c.servers[victim]!.kill();
      log(`killed the owner, process ${victim} (pid ${c.servers[victim]!.pid})`);
      newOwner = await c.waitForOwner(victim);
      newOwnerMs = performance.now() - killAt;
      log(`new owner: process ${newOwner}, ${newOwnerMs.toFixed(0)} ms after the kill`);
    })();
    const run = await driveChanges({
      ...o,
      plan,
      users: c.users,
      log,
      put: (u, ch) => putPresence(c.clients[live(Math.floor(pick() * n))]!, u, { presence: ch.state, status_msg: statusMsgOf(ch.seq) }),
      settled: (ch, res) => {
        const ok = res?.status === 200;
        ledger.settled(ch.user, ch.seq, ch.state, ok);
        if (!ok) plan.tracker.withdraw(ch.user, ch.state, ch.sentAt, ch.recipients);
        else if (ch.sentAt > killAt && (Number.isNaN(firstAckAfterKill) || ch.sentAt + res.ms < firstAckAfterKill)) firstAckAfterKill = ch.sentAt + res.ms;
      },
    });
    await killer;
    const measured = await window.close("postgres", null, "cluster");
    sync.stop();

    log(`reading back the presence of ${ledger.users().length} users with an acknowledged PUT from process ${newOwner}`);
    const verdicts: Record<AckVerdict | "unreadable", number> = { ok: 0, "later-unacknowledged": 0, lost: 0, unreadable: 0 };
    const reader = c.clients[newOwner]!;
    await inPool(ledger.users(), 16, async (user) => {
      const u = c.users[user]!;
      const res = await reader.request("GET", `/_matrix/client/v3/presence/${encodeURIComponent(u.userId)}/status`, { token: u.token });
      if (res.status !== 200) verdicts.unreadable++;
      else verdicts[ledger.verify(user, res.body as Record<string, unknown>)]++;
    });
    const since = (t: number) => (Number.isNaN(t) ? Number.NaN : round(t - killAt));
    const sections = fanoutSections(o, plan, run, sync.stats, measured);
    const warnings = [...sections.warnings];
    if (verdicts.lost > 0 || verdicts.unreadable > 0) warnings.push(`${verdicts.lost} acknowledged PUTs lost, ${verdicts.unreadable} users unreadable after the failover`);
    return [
      {
        ...header("cluster", o),
        ...measured,
        ...sections,
        warnings,
        processes: shapeProcesses(measured.processes, owner).map((p, i) => (i === owner ? { ...p, role: "owner (killed)" } : i === newOwner ? { ...p, role: "follower, then owner" } : p)),
        extra: {
          quiet_wait_s: quietWaitS,
          processes: n,
          watchers: plan.watchers.length,
          kill_at_s: o.killAtS,
          new_owner_recorded_ms: round(newOwnerMs),
          first_delivery_after_kill_ms: since(firstDeliveryAfterKill),
          first_ack_after_kill_ms: since(firstAckAfterKill),
          last_delivery_before_kill_ms: since(lastDeliveryBeforeKill),
          put_not_acknowledged: run.errors,
          acked_users_checked: ledger.users().length,
          acked_ok: verdicts.ok,
          acked_later_unacknowledged_seen: verdicts["later-unacknowledged"],
          acked_lost: verdicts.lost,
          acked_unreadable: verdicts.unreadable,
          schedule_lag_max_ms: round(run.maxLagMs),
        },
      },
    ];
  } finally {
    await c.close();
  }
}
