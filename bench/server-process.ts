import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { stringify } from "yaml";
import { onInterrupt, trackChild } from "./cleanup";
import type { DbKind, ServerKind } from "./options";

const ROOT = resolve(import.meta.dirname, "..");
const PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test";

/** A scratch database for one run: a temp SQLite file, or a fresh PostgreSQL database dropped afterwards. */
export interface BenchDatabase {
  kind: DbKind;
  url: string;
  dir: string;
  dispose(): Promise<void>;
}

export async function prepareDatabase(kind: DbKind): Promise<BenchDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "axon-bench-"));
  if (kind === "sqlite") {
    return { kind, url: `sqlite:${join(dir, "axon.db")}`, dir, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `axon_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/test$/, `/${name}`);
  const drop = async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
    rmSync(dir, { recursive: true, force: true });
  };
  const forget = onInterrupt(drop);
  return {
    kind,
    url,
    dir,
    async dispose() {
      forget();
      await drop();
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

/** The YAML config the bench runs the server with: loopback, warn logs, presence PUTs unlimited. */
export function benchConfig(port: number, dbUrl: string): Record<string, unknown> {
  return {
    server_name: "localhost",
    listen: { host: "127.0.0.1", port },
    database: { url: dbUrl },
    log: { level: "warn" },
    rate_limits: { presence: { per_second: 0 } },
  };
}

export interface ServerHandle {
  url: string;
  port: number;
  pid: number;
  /** Inspector port when started for profiling. */
  inspectPort: number | null;
  /** ms from spawn to the first answered GET /versions. */
  readyMs: number;
  logPath: string;
  stop(): Promise<void>;
  /** SIGKILL (kill -9) of this process only, by its pid; resolves once it has exited. */
  kill(): Promise<void>;
  /** Whether the process is still running. */
  alive(): boolean;
}

/**
 * Starts `axon serve` as a separate process and waits until it answers HTTP. With `sharedConfig`
 * (a cluster's one config file) the process gets its port from `--port`, as in a deployment.
 */
export async function startServer(opts: { db: BenchDatabase; cpuProf: string | null; label?: string; kind?: ServerKind; sharedConfig?: string }): Promise<ServerHandle> {
  const port = await freePort();
  const configPath = opts.sharedConfig ?? join(opts.db.dir, "axon.yaml");
  if (!opts.sharedConfig) writeFileSync(configPath, stringify(benchConfig(port, opts.db.url)));
  const logPath = join(opts.db.dir, `server-${opts.label ?? "main"}.log`);
  const logFd = openSync(logPath, "a");
  const inspectPort = opts.cpuProf ? await freePort() : null;
  const inspect = inspectPort ? `--inspect=127.0.0.1:${inspectPort}` : "";
  const started = performance.now();
  // Axon runs as `npm start` runs it: the bin through its shebang, with the node flags it carries.
  const [command, args] =
    opts.kind === "floor"
      ? [process.execPath, [...(inspect ? [inspect] : []), "--import", "tsx", "bench/floor-server.ts", String(port)]]
      : [join(ROOT, "packages/cli/bin/axon.mjs"), ["serve", "--config", configPath, ...(opts.sharedConfig ? ["--port", String(port)] : [])]];
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ["ignore", logFd, logFd],
    env: inspect ? { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} ${inspect}`.trim() } : process.env,
  });
  closeSync(logFd);
  trackChild(child);
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  let dead = false;
  void exited.then(() => (dead = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = started + 120_000;
  for (;;) {
    if (dead) throw new Error(`server exited during start-up; log ${logPath}:\n${tail(logPath)}`);
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not answer within 120 s; log ${logPath}:\n${tail(logPath)}`);
    }
    try {
      const res = await fetch(`${url}/_matrix/client/versions`);
      if (res.ok) {
        await res.arrayBuffer();
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const readyMs = performance.now() - started;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = async () => {
    if (!alive()) return;
    child.kill("SIGKILL");
    await exited;
  };
  return { url, port, pid: child.pid as number, inspectPort, readyMs, logPath, stop: () => stopChild(child, exited), kill, alive };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

function tail(path: string): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "(no log)";
  }
}
