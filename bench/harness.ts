import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { InspectorProfiler } from "./inspector-profiler";
import { createClient, type JsonClient } from "./http-client";
import type { CommonOptions } from "./options";
import { listenOverflows, ownCpuS, sampleProc, systemBusyS, type ProcSample } from "./proc-stats";
import { GENERATOR_BOUND_PCT, gitCommit, machine, type BenchResult, type ProcessFigures } from "./result";
import { prepareDatabase, startServer, type BenchDatabase, type ServerHandle } from "./server-process";
import { benchUserId, seedAccounts, seedRooms, type BenchUser } from "./seed";
import { buildTopology, type Topology } from "./topology";

/** A seeded server ready to measure: users with tokens, rooms joined, a client pool. */
export interface Bench {
  db: BenchDatabase;
  server: ServerHandle;
  client: JsonClient;
  users: BenchUser[];
  topology: Topology;
  indexOf: Map<string, number>;
  log(msg: string): void;
  /** Stops the server and starts a new process on the same database. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function setUp(o: CommonOptions & { users: number; roomSize: number; roomsPerUser: number }): Promise<Bench> {
  const t0 = performance.now();
  const log = (msg: string) => console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
  const db = await prepareDatabase(o.db);
  let server: ServerHandle | null = null;
  let client: JsonClient | null = null;
  try {
    log(`seeding ${o.users} users into ${o.db}`);
    const users = await seedAccounts(db.url, o.users);
    server = await startServer({ db, cpuProf: o.cpuProf, kind: o.server });
    log(`server pid ${server.pid} at ${server.url} (ready in ${server.readyMs.toFixed(0)} ms)`);
    client = createClient(o.client, server.url);
    const topology = buildTopology({ users: o.users, roomSize: o.roomSize, roomsPerUser: o.roomsPerUser, seed: o.seed });
    log(`creating ${topology.rooms.length} rooms over HTTP`);
    await seedRooms(client, users, topology);
    log("rooms ready");
    const indexOf = new Map(users.map((u) => [benchUserId(u.index), u.index]));
    const bench: Bench = {
      db,
      server,
      client,
      users,
      topology,
      indexOf,
      log,
      async restart() {
        bench.client.close();
        await bench.server.stop();
        bench.server = await startServer({ db, cpuProf: o.cpuProf, label: "restarted", kind: o.server });
        bench.client = createClient(o.client, bench.server.url);
      },
      async close() {
        bench.client.close();
        await bench.server.stop();
        await db.dispose();
      },
    };
    return bench;
  } catch (err) {
    client?.close();
    await server?.stop();
    await db.dispose();
    throw err;
  }
}

/** Above this share of one core used by other processes, a run is flagged as disturbed. */
const OTHER_LOAD_PCT = 20;

/** Server and generator CPU over a measured window. */
export class Window {
  private readonly servers0: ProcSample[];
  /** The latest sample of each server, for one killed during the window (see checkpoint). */
  private readonly latest: ProcSample[];
  private readonly children0: number;
  private readonly gen0 = process.cpuUsage();
  private readonly wall0 = performance.now();
  private readonly system0 = systemBusyS();
  private readonly overflows0 = listenOverflows();
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  private constructor(
    private readonly servers: readonly ServerHandle[],
    private readonly profiler: InspectorProfiler | null,
    /** The generator's child processes (their CPU is the generator's). */
    private readonly generatorPids: readonly number[],
  ) {
    this.servers0 = servers.map((s) => sampleProc(s.pid));
    this.latest = [...this.servers0];
    this.children0 = sumCpu(generatorPids);
    this.loopDelay.enable();
  }

  /**
   * Opens the window over one server or several (a cluster: the figures are their sums, each is
   * in `processes`); with --cpu-prof the (one) server's profiler runs for exactly this window.
   */
  static async open(server: ServerHandle | readonly ServerHandle[], generatorPids: readonly number[] = []): Promise<Window> {
    const servers = Array.isArray(server) ? (server as readonly ServerHandle[]) : [server as ServerHandle];
    let profiler: InspectorProfiler | null = null;
    const one = servers[0];
    if (servers.length === 1 && one?.inspectPort) {
      profiler = await InspectorProfiler.connect(one.inspectPort);
      await profiler.start();
    }
    return new Window(servers, profiler, generatorPids);
  }

  /** Samples every live server now: call it before killing one, whose figures then end here. */
  checkpoint(): void {
    this.servers.forEach((s, i) => {
      if (s.alive()) this.latest[i] = sampleProc(s.pid);
    });
  }

  /** Ends the window; writes the profile (if any) as <dir>/<label>-<time>.cpuprofile. */
  async close(db: string, profileDir: string | null, label: string): Promise<Measured> {
    const measured = this.end(db);
    if (this.profiler && profileDir) {
      const profile = await this.profiler.stop();
      this.profiler.close();
      mkdirSync(profileDir, { recursive: true });
      const path = join(profileDir, `${label}-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
      writeFileSync(path, JSON.stringify(profile));
      console.error(`[bench] server profile of the window: ${path} (npm run bench -- profile ${path})`);
    }
    return measured;
  }

  private end(db: string): Measured {
    this.checkpoint();
    const s1 = this.latest;
    this.loopDelay.disable();
    const loopP99 = this.loopDelay.percentile(99) / 1e6;
    const loopMax = this.loopDelay.max / 1e6;
    const wallS = (performance.now() - this.wall0) / 1000;
    const genCpu = ownCpuS(this.gen0) + sumCpu(this.generatorPids) - this.children0;
    const genPct = (100 * genCpu) / wallS;
    const bound = genPct >= GENERATOR_BOUND_PCT;
    const processes: ProcessFigures[] = this.servers.map((s, i) => {
      const cpu = (s1[i] as ProcSample).cpuS - (this.servers0[i] as ProcSample).cpuS;
      return { pid: s.pid, url: s.url, cpu_s: round(cpu), cpu_pct: round((100 * cpu) / wallS), rss_mib: round((s1[i] as ProcSample).rssMiB), peak_rss_mib: round((s1[i] as ProcSample).peakRssMiB) };
    });
    const serverCpu = processes.reduce((a, p) => a + p.cpu_s, 0);
    const sum = (k: "rss_mib" | "peak_rss_mib") => round(processes.reduce((a, p) => a + p[k], 0));
    // The box is shared: CPU that neither side used is someone else's, and it skews latency.
    const otherPct = (100 * (systemBusyS() - this.system0 - serverCpu - genCpu)) / wallS;
    const warnings: string[] = [];
    const overflows = listenOverflows() - this.overflows0;
    if (overflows > 0) warnings.push(`${overflows} connections dropped by a full accept queue (TcpExt ListenOverflows, whole machine)`);
    if (bound) warnings.push(`generator-bound: the load generator used ${genPct.toFixed(0)} % of a core; latencies include its own queueing`);
    if (otherPct > OTHER_LOAD_PCT) warnings.push(`other processes used ${otherPct.toFixed(0)} % of a core during the run: figures are pessimistic`);
    return {
      window_s: round(wallS),
      server: { db, cpu_s: round(serverCpu), cpu_pct: round((100 * serverCpu) / wallS), rss_mib: sum("rss_mib"), peak_rss_mib: sum("peak_rss_mib") },
      generator: { cpu_s: round(genCpu), cpu_pct: round(genPct), bound, loop_delay_p99_ms: round(loopP99), loop_delay_max_ms: round(loopMax) },
      other_cpu_pct: round(Math.max(0, otherPct)),
      listen_overflows: overflows,
      warnings,
      ...(this.servers.length > 1 && { processes }),
    };
  }
}

type Measured = Pick<BenchResult, "window_s" | "server" | "generator" | "other_cpu_pct" | "listen_overflows" | "warnings" | "processes">;

function sumCpu(pids: readonly number[]): number {
  let s = 0;
  for (const pid of pids) {
    try {
      s += sampleProc(pid).cpuS;
    } catch {
      // gone: counted up to its last sample by the caller's window, if at all
    }
  }
  return s;
}

export const round = (x: number, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

export function header(scenario: BenchResult["scenario"], options: object): Pick<BenchResult, "scenario" | "started_at" | "command" | "git_commit" | "machine" | "options"> {
  return {
    scenario,
    started_at: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`,
    git_commit: gitCommit(),
    machine: machine(),
    options: { ...options },
  };
}

/** What the result calls the server: the database it ran on, or "floor". */
export const serverLabel = (o: CommonOptions) => (o.server === "floor" ? "floor" : o.db);

/**
 * The development box is shared: before measuring, wait (up to maxS) for a second in which other
 * processes use less than a quarter of a core. Our own processes are idle at that point (set-up
 * done, long-polls parked), so nearly all busy time is someone else's. Returns the seconds waited.
 */
export async function waitForQuiet(serverPid: number | readonly number[], maxS: number, log: (msg: string) => void): Promise<number> {
  if (maxS <= 0) return 0;
  const pids = typeof serverPid === "number" ? [serverPid] : serverPid;
  const t0 = performance.now();
  let said = false;
  for (;;) {
    const sys0 = systemBusyS();
    const srv0 = sumCpu(pids);
    const gen0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 1000));
    const others = systemBusyS() - sys0 - (sumCpu(pids) - srv0) - ownCpuS(gen0);
    const waited = (performance.now() - t0) / 1000;
    if (others < 0.25 || waited >= maxS) return round(waited);
    if (!said) log(`waiting up to ${maxS} s for other processes to calm down (${(others * 100).toFixed(0)} % of a core now)`);
    said = true;
  }
}
