// cluster polls: tens of thousands of long-polls across the cluster's processes (default 40,000:
// beyond what one process may hold under a 20,000-descriptor limit). The generator's long-polls
// live in child processes (poll-child.ts), each under the limit and bound to a source address of
// its own; the parent sends the PUTs and matches deliveries. Two windows: idle (every long-poll
// open, nothing changing) and changes (--rate presence changes/s, busy included).
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parsePortRange, planPollers, processOf, sumStats, type PollerShare } from "./cluster-plan";
import { trackChild } from "./cleanup";
import { openFds, setUpCluster, type ClusterBench } from "./cluster-procs";
import { header, round, Window, waitForQuiet } from "./harness";
import { sampleProc } from "./proc-stats";
import type { ClusterOptions } from "./options";
import type { FromChild, ToChild } from "./poll-child";
import { sleep } from "./pool";
import type { BenchResult, ProcessFigures } from "./result";
import { clusterLog } from "./scenario-cluster";
import { driveChanges, fanoutPlan, fanoutSections, putPresence, type FanoutPlan } from "./scenario-fanout";
import type { WatcherStats } from "./sync-watchers";
import { rng } from "./topology";

const CHILD = resolve(import.meta.dirname, "poll-child.ts");
const FD_LIMIT = 20_000;

/** The generator's children: started, fed their share, asked for stats, stopped by pid. */
class Pollers {
  private readonly stats = new Map<number, (s: WatcherStats) => void>();
  readonly ready: Promise<{ synced: number; failed: number; ms: number }>;
  private readonly exits: Promise<void>[];
  /** Long-polls open so far (initial sync answered) and failed, over all children. */
  readonly open: () => { synced: number; failed: number };

  private constructor(
    readonly children: ChildProcess[],
    onEvent: (w: number, sender: number, state: string, at: number) => void,
    log: (msg: string) => void,
  ) {
    const progress = children.map(() => ({ synced: 0, failed: 0, ms: 0, done: false }));
    this.open = () => ({ synced: progress.reduce((a, p) => a + p.synced, 0), failed: progress.reduce((a, p) => a + p.failed, 0) });
    let doneAll: () => void = () => {};
    let failAll: (e: Error) => void = () => {};
    const ready = new Promise<void>((res, rej) => ((doneAll = res), (failAll = rej)));
    const said = setInterval(() => log(`long-polls open: ${this.open().synced} (failed ${this.open().failed})`), 10_000);
    this.exits = children.map((child, k) => {
      child.on("message", (m: FromChild) => {
        if (m.type === "events") {
          const b = m.batch;
          for (let i = 0; i + 3 < b.length; i += 4) onEvent(b[i] as number, b[i + 1] as number, b[i + 2] as string, (b[i + 3] as number) - performance.timeOrigin);
        } else if (m.type === "progress" || m.type === "ready") {
          Object.assign(progress[k]!, m, { done: m.type === "ready" });
          if (progress.every((p) => p.done)) doneAll();
        } else if (m.type === "stats") this.stats.get(child.pid!)?.(m.stats);
      });
      return new Promise<void>((res) =>
        child.once("exit", (code, signal) => {
          if (!progress[k]!.done) failAll(new Error(`poller ${child.pid} exited (${code ?? signal}) before its long-polls were open`));
          res();
        }),
      );
    });
    this.ready = ready
      .then(() => ({ synced: progress.reduce((a, p) => a + p.synced, 0), failed: progress.reduce((a, p) => a + p.failed, 0), ms: Math.max(...progress.map((p) => p.ms)) }))
      .finally(() => clearInterval(said));
  }

  static start(c: ClusterBench, plan: FanoutPlan, shares: PollerShare[], timeoutMs: number, onEvent: (w: number, s: number, state: string, at: number) => void): Pollers {
    const n = c.servers.length;
    const children = shares.map((share) => {
      const child = fork(CHILD, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
      const users = share.positions.map((pos): [number, string, string, number] => {
        const u = c.users[plan.watchers[pos]!]!;
        return [u.index, u.userId, u.token, processOf(pos, n)];
      });
      trackChild(child);
      child.send({ type: "start", servers: c.servers.map((s) => s.url), address: share.address, timeoutMs, concurrency: 24, users } satisfies ToChild);
      return child;
    });
    c.log(`${children.length} poller processes: ${shares.map((s, k) => `pid ${children[k]!.pid} ${s.address} ×${s.positions.length}`).join(", ")}`);
    return new Pollers(children, onEvent, c.log);
  }

  get pids(): number[] {
    return this.children.map((ch) => ch.pid!);
  }

  broadcast(m: ToChild): void {
    for (const ch of this.children) if (ch.connected) ch.send(m);
  }

  async sumStats(): Promise<WatcherStats> {
    const all = await Promise.all(
      this.children.map(
        (ch) =>
          new Promise<WatcherStats>((res) => {
            this.stats.set(ch.pid!, res);
            ch.send({ type: "stats" } satisfies ToChild);
          }),
      ),
    );
    return sumStats(all);
  }

  /** Asks each child to stop; SIGKILL (by its pid) after 10 s. */
  async stop(): Promise<void> {
    for (const ch of this.children) {
      if (ch.exitCode !== null || ch.signalCode !== null) continue;
      if (ch.connected) ch.send({ type: "stop" } satisfies ToChild);
      setTimeout(() => ch.exitCode === null && ch.signalCode === null && ch.kill("SIGKILL"), 10_000).unref();
    }
    await Promise.all(this.exits);
  }
}

const phaseOf = (name: string, m: Pick<BenchResult, "window_s" | "server" | "other_cpu_pct" | "processes">, responses: number, fds: number[]) => ({
  name,
  window_s: m.window_s,
  server_cpu_s: m.server.cpu_s,
  server_cpu_pct: m.server.cpu_pct,
  other_cpu_pct: m.other_cpu_pct,
  sync_responses: responses,
  processes: (m.processes ?? []).map((p, i): ProcessFigures => ({ ...p, fds: fds[i]! })),
});

export async function runClusterPolls(o: ClusterOptions): Promise<BenchResult[]> {
  const log = clusterLog();
  const ports = parsePortRange(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8"));
  const shares = planPollers(o.watchers, o.perPoller, { fdLimit: FD_LIMIT, ports });
  const setupStart = performance.now();
  const c = await setUpCluster(o, log);
  let pollers: Pollers | null = null;
  try {
    const n = c.servers.length;
    const seededS = (performance.now() - setupStart) / 1000;
    const plan = fanoutPlan(o, c.topology);
    pollers = Pollers.start(c, plan, shares, o.syncTimeoutMs, (w, s, state, at) => plan.tracker.recordEvent(w, s, state, at));
    const p = pollers;
    const open = await Promise.race([
      p.ready,
      sleep(o.connectWithinS * 1000).then(() => {
        const { synced, failed } = p.open();
        const rss = c.servers.map((s) => (s.alive() ? `${(sampleProc(s.pid).rssMiB / 1024).toFixed(2)} GiB` : "gone"));
        throw new Error(`only ${synced} of ${o.watchers} long-polls open (${failed} failed) after --connect-within ${o.connectWithinS} s; descriptors per process ${c.servers.map((s) => openFds(s.pid)).join(", ")}, RSS ${rss.join(", ")}`);
      }),
    ]);
    log(`long-polls open: ${open.synced} of ${o.watchers} (${open.failed} failed) in ${(open.ms / 1000).toFixed(1)} s`);
    // Let the last long-polls reach the servers (each holds its share of descriptors), up to 60 s.
    const share = (i: number) => plan.watchers.filter((_, pos) => processOf(pos, n) === i).length;
    const settleEnd = performance.now() + 60_000;
    while (c.servers.some((s, i) => openFds(s.pid) < share(i)) && performance.now() < settleEnd) await sleep(1000);
    await sleep(5000);
    const fdsOpen = c.servers.map((s) => openFds(s.pid));
    log(`descriptors per process: ${fdsOpen.join(", ")} (long-polls ${c.servers.map((_, i) => share(i)).join(", ")})`);
    const owner = await c.ownerIndex();
    const ours = [...c.servers.map((s) => s.pid), ...pollers.pids];
    const quietWaitS = await waitForQuiet(ours, o.quietWaitS, log);

    log(`idle window: ${o.idleS} s, nothing changing`);
    pollers.broadcast({ type: "reset" });
    const idleWindow = await Window.open(c.servers, pollers.pids);
    await sleep(o.idleS * 1000);
    const idle = await idleWindow.close("postgres", null, "cluster");
    const idleStats = await pollers.sumStats();

    pollers.broadcast({ type: "reset" });
    const pick = rng(o.seed + 2);
    log(`changes: ${Math.round(o.rate * o.durationS)} at ${o.rate}/s, PUTs to random processes`);
    const window = await Window.open(c.servers, pollers.pids);
    const run = await driveChanges({ ...o, plan, users: c.users, log, put: (u, ch) => putPresence(c.clients[Math.floor(pick() * n)]!, u, { presence: ch.state }) });
    const measured = await window.close("postgres", null, "cluster");
    const stats = await pollers.sumStats();
    const fdsEnd = c.servers.map((s) => openFds(s.pid));
    const role = (p: ProcessFigures, i: number) => ({ ...p, role: i === owner ? "owner" : "follower" });
    const idlePhase = phaseOf("idle", idle, idleStats.responses, fdsOpen);
    const sections = fanoutSections(o, plan, run, stats, measured);
    const warnings = [...idle.warnings.map((w) => `idle window: ${w}`), ...sections.warnings];
    if (open.failed > 0) warnings.push(`${open.failed} long-polls could not be opened`);
    if (idleStats.errors > 0) warnings.push(`${idleStats.errors} sync errors in the idle window`);
    return [
      {
        ...header("cluster", o),
        ...measured,
        ...sections,
        warnings,
        processes: (measured.processes ?? []).map((p, i) => role({ ...p, fds: fdsEnd[i]! }, i)),
        phases: [{ ...idlePhase, processes: idlePhase.processes.map(role) }],
        extra: {
          quiet_wait_s: quietWaitS,
          processes: n,
          pollers: shares.length,
          rooms: c.topology.rooms.length,
          setup_s: round(seededS),
          long_polls_open: open.synced,
          long_polls_failed: open.failed,
          connect_s: round(open.ms / 1000),
          idle_cpu_pct: idle.server.cpu_pct,
          idle_renewals: idleStats.responses,
          generator_idle_cpu_pct: idle.generator.cpu_pct,
          schedule_lag_max_ms: round(run.maxLagMs),
        },
      },
    ];
  } finally {
    await pollers?.stop();
    await c.close();
  }
}
