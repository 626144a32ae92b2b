// A real server on a real socket (127.0.0.1, port 0, temp SQLite, real clock) for real Matrix clients,
// in-process (matrix-js-sdk) or in a subprocess (matrix-nio, Net::Async::Matrix).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { UserId } from "@axon/protocol";
import { buildConfig } from "../../src/config";
import { createLogger } from "../../src/log";
import { createServer, type RunningServer } from "../../src/main";
import { freshDatabase } from "../databases";

export const E2E_DIR = dirname(fileURLToPath(import.meta.url));
export const PYTHON = "/usr/bin/python3";
export const PERL = "/usr/bin/perl";

export interface LiveServer {
  server: RunningServer;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  serverName: string;
  close(): Promise<void>;
}

/** Starts a listening server with registration on; config keys override the defaults. */
export async function startLiveServer(overrides: Record<string, unknown> = {}): Promise<LiveServer> {
  const db = await freshDatabase("sqlite");
  const config = buildConfig({
    registration: { enabled: true },
    log: { level: process.env.AXON_E2E_LOG ?? "silent" },
    ...overrides,
    database: { url: db.url },
    listen: { host: "127.0.0.1", port: 0 },
  });
  const server = await createServer(config, { logger: createLogger(config.log.level) });
  const url = await server.listen();
  return {
    server,
    url,
    serverName: config.server_name,
    async close() {
      await server.close();
      await db.cleanup();
    },
  };
}

/** Creates a user with a password directly through the service. */
export async function addUser(live: LiveServer, localpart: string, password = "correct horse battery"): Promise<UserId> {
  return live.server.deps.accounts.createUser(localpart, password);
}

/** A fresh access token for a user (a new device), for the test's own raw HTTP calls. */
export async function tokenFor(live: LiveServer, userId: UserId): Promise<string> {
  return (await live.server.deps.accounts.startSession(userId, null, null)).accessToken;
}

/** A raw client API call (v3) on the real socket; asserts nothing, returns status and JSON. */
export async function callApi(
  live: LiveServer,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${live.url}/_matrix/client/v3${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a client script, killing it after timeoutMs; never throws on a non-zero exit. */
export function runProcess(cmd: string, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ProcessResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: E2E_DIR, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The last line of stdout that is a JSON object: the scripts print their results that way. */
export function lastJson(result: ProcessResult): Record<string, unknown> {
  const lines = result.stdout.trim().split("\n").reverse();
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      // keep looking
    }
  }
  throw new Error(
    `no JSON result from the client (exit ${result.code}${result.signal ? `, ${result.signal}` : ""}${result.timedOut ? ", timed out" : ""})\nstdout:\n${result.stdout.slice(-4000)}\nstderr:\n${result.stderr.slice(-4000)}`,
  );
}

/** Resolves when `predicate` holds, polling every 20 ms; rejects after timeoutMs with `what`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A client script running beside the test: read its JSON lines as they come, kill it at the end. */
export class ClientProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Record<string, unknown>[] = [];
  private partial = "";
  private stderr = "";
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly killTimer: NodeJS.Timeout;

  constructor(cmd: string, args: string[], timeoutMs = 60_000) {
    this.child = spawn(cmd, args, { cwd: E2E_DIR, env: process.env });
    this.child.stdout.setEncoding("utf8").on("data", (d: string) => {
      const parts = (this.partial + d).split("\n");
      this.partial = parts.pop() ?? "";
      for (const line of parts) {
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not ours: ignore stray output
        }
      }
    });
    this.child.stderr.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.child.on("exit", (code, signal) => (this.exited = { code, signal }));
    this.killTimer = setTimeout(() => this.kill(), timeoutMs);
  }

  /** Waits for the first JSON line matching `predicate`; fails early if the process exits. */
  async next(predicate: (line: Record<string, unknown>) => boolean, what: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const start = Date.now();
    for (;;) {
      const found = this.lines.find(predicate);
      if (found) return found;
      if (this.exited || Date.now() - start > timeoutMs) {
        throw new Error(
          `${this.exited ? `client exited (${this.exited.code ?? this.exited.signal})` : "timed out"} before ${what}\n` +
            `lines: ${JSON.stringify(this.lines)}\nstderr:\n${this.stderr.slice(-4000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill(): void {
    clearTimeout(this.killTimer);
    if (!this.exited) this.child.kill("SIGKILL");
  }
}
