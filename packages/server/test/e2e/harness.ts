// A real server on a real socket (127.0.0.1, port 0, temp SQLite, real clock) for real Matrix clients,
// in-process (matrix-js-sdk) or in a subprocess (matrix-nio, Net::Async::Matrix).
import { spawn } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
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
export async function addUser(live: LiveServer, localpart: string, password = "correct horse battery"): Promise<string> {
  return live.server.deps.accounts.createUser(localpart, password);
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
