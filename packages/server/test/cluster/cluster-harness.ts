// Real Axon processes (`axon serve --config ... --port ...`) on one fresh PostgreSQL database and a
// Redis, for the cluster tests. Each test run gets its own server_name, so its Redis channels are its
// own. Only processes started here are stopped, by their pid.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { recordedOwner } from "../../src/cluster/owner-election";
import { freshDatabase, type TestDatabase } from "../databases";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const AXON = join(ROOT, "packages/cli/bin/axon.mjs");

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface AxonProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** stderr and stdout so far (for failure messages). */
  output(): string;
}

export interface Cluster {
  db: TestDatabase;
  serverName: string;
  procs: AxonProcess[];
  start(port?: number): Promise<AxonProcess>;
  /** The process the database names as the owner (null if none is recorded). */
  ownerUrl(): Promise<string | null>;
  /** Waits until a live process other than `not` is recorded as the owner; returns its url. */
  waitForOwner(not?: string, ms?: number): Promise<string>;
  kill(p: AxonProcess, signal?: NodeJS.Signals): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(opts: { redisUrl?: string; frontThread?: boolean; extra?: Record<string, unknown> } = {}): Promise<Cluster> {
  const db = await freshDatabase("postgres");
  const dir = mkdtempSync(join(tmpdir(), "axon-cluster-"));
  const serverName = `c${process.pid}x${Date.now().toString(36)}.test`;
  const config = {
    server_name: serverName,
    database: { url: db.url },
    listen: { host: "127.0.0.1", front_thread: opts.frontThread ?? true },
    registration: { enabled: true },
    log: { level: "warn" },
    web: { enabled: false },
    rate_limits: { login: { per_second: 0 }, register: { per_second: 0 }, presence: { per_second: 0 } },
    cluster: { redis_url: opts.redisUrl ?? "redis://127.0.0.1:6379" },
    ...opts.extra,
  };
  const file = join(dir, "axon.yaml");
  writeFileSync(file, JSON.stringify(config)); // JSON is YAML
  const procs: AxonProcess[] = [];

  const start = async (port?: number): Promise<AxonProcess> => {
    const p = port ?? (await freePort());
    const child = spawn(process.execPath, [AXON, "serve", "--config", file, "--port", String(p)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    const url = `http://127.0.0.1:${p}`;
    const end = Date.now() + 30_000;
    while (!out.includes("Axon is listening")) {
      if (child.exitCode !== null) throw new Error(`axon exited (${child.exitCode}): ${out}`);
      if (Date.now() > end) throw new Error(`axon did not start in 30 s: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const proc = { url, port: p, child, output: () => out };
    procs.push(proc);
    return proc;
  };

  const ownerUrl = async (): Promise<string | null> => (await recordedOwner(db.url))?.url ?? null;

  const kill = async (p: AxonProcess, signal: NodeJS.Signals = "SIGKILL") => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    const gone = new Promise((r) => p.child.once("exit", r));
    p.child.kill(signal);
    await gone;
  };

  return {
    db,
    serverName,
    procs,
    start,
    ownerUrl,
    async waitForOwner(not, ms = 15_000) {
      const end = Date.now() + ms;
      for (;;) {
        const url = await ownerUrl();
        // Recorded, not the excluded one, and answering as the owner (its promotion is complete).
        if (url && url !== not && procs.some((p) => p.url === url && p.child.exitCode === null)) {
          const res = await fetch(`${url}/_matrix/client/v3/account/whoami`).catch(() => null);
          if (res && res.status === 401) return url;
        }
        if (Date.now() > end) throw new Error(`no owner after ${ms} ms (recorded: ${url})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    kill,
    async close() {
      await Promise.all(procs.map((p) => kill(p, "SIGTERM")));
      rmSync(dir, { recursive: true, force: true });
      await db.cleanup();
    },
  };
}

/** A small JSON client for the tests. */
export async function call(base: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> & { errcode?: string } }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined && { "content-type": "application/json" }), ...(token && { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed };
}

export async function register(base: string, username: string): Promise<{ userId: string; token: string; deviceId: string }> {
  const r = await call(base, "POST", "/_matrix/client/v3/register", undefined, { username, password: "correct horse battery", auth: { type: "m.login.dummy" } });
  if (r.status !== 200) throw new Error(`register ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return { userId: r.body.user_id as string, token: r.body.access_token as string, deviceId: r.body.device_id as string };
}
