import type { UserId } from "@axon/protocol";
import type { Logger } from "pino";
import type { Config } from "../src/config";
import { buildConfig } from "../src/config";
import { FakeClock } from "../src/clock";
import { createServer, type RunningServer, type ServerOptions } from "../src/main";
import { createLogger } from "../src/log";
import { freshDatabase, type TestDatabase } from "./databases";

export interface TestServer {
  server: RunningServer;
  clock: FakeClock;
  config: Config;
  db: TestDatabase;
  /** In-process request (no socket). */
  request(method: string, path: string, opts?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  // Tests inspect arbitrary JSON; narrowing it everywhere would only add noise.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface TestUser {
  userId: UserId;
  token: string;
  deviceId: string;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Starts a server on a fresh SQLite file (or `database: "postgres"`) with a fake clock; config keys override defaults. */
export async function createTestServer(
  overrides: Record<string, unknown> = {},
  opts: { database?: "sqlite" | "postgres"; clock?: FakeClock; db?: TestDatabase; logger?: Logger; webRoot?: string; push?: ServerOptions["push"] } = {},
): Promise<TestServer> {
  const db = opts.db ?? (await freshDatabase(opts.database ?? "sqlite"));
  const config = buildConfig({
    registration: { enabled: true },
    log: { level: "silent" },
    ...overrides,
    database: { url: db.url },
    listen: { host: "127.0.0.1", port: 0, ...((overrides.listen as object | undefined) ?? {}) },
  });
  const clock = opts.clock ?? new FakeClock();
  const server = await createServer(config, { clock, logger: opts.logger ?? createLogger(config.log.level), webRoot: opts.webRoot, push: opts.push });
  return {
    server,
    clock,
    config,
    db,
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      let payload: string | undefined;
      if (o.rawBody !== undefined) payload = o.rawBody;
      else if (o.body !== undefined) payload = JSON.stringify(o.body);
      if (payload !== undefined) headers["content-type"] ??= "application/json";
      const res = await server.app.inject({ method: method as "GET", url: path, headers, payload });
      let body: unknown = res.body;
      try {
        body = JSON.parse(res.body);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.statusCode, headers: res.headers, body };
    },
    async close() {
      await server.close();
      if (!opts.db) await db.cleanup();
    },
  };
}

/** Servers made by one suite with shared config defaults; pass `closeAll` to `after`. */
export function serverPool(defaults: Record<string, unknown> = {}) {
  const servers: TestServer[] = [];
  const track = (t: TestServer) => (servers.push(t), t);
  return {
    create: async (overrides: Record<string, unknown> = {}) => track(await createTestServer({ ...defaults, ...overrides })),
    track,
    closeAll: () => Promise.all(servers.map((t) => t.close())),
  };
}

/** A request that must succeed: asserts 200 and returns the body. */
export async function expectOk(t: TestServer, method: string, path: string, user: TestUser, body?: unknown): Promise<TestResponse["body"]> {
  const res = await t.request(method, path, { token: user.token, body });
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Creates a room as `owner` (POST /createRoom with `body`) and returns its id. */
export async function createRoom(t: TestServer, owner: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  return (await expectOk(t, "POST", "/_matrix/client/v3/createRoom", owner, body)).room_id as string;
}

/** Joins each user to the room. */
export async function joinRoom(t: TestServer, roomId: string, ...users: TestUser[]): Promise<void> {
  for (const u of users) await expectOk(t, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, u, {});
}

let counter = 0;

/** Creates a user with a password and a logged-in device, straight through the service (fast). */
export async function registerUser(t: TestServer, localpart?: string, password = "correct horse"): Promise<TestUser> {
  const name = localpart ?? `user${++counter}_${Date.now().toString(36)}`;
  const userId = await t.server.deps.accounts.createUser(name, password);
  const session = await t.server.deps.accounts.startSession(userId, null, null);
  return { userId, token: session.accessToken, deviceId: session.deviceId };
}

export type { DeepPartial };
