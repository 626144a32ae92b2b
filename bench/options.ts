/** Typed, validated options of every scenario; commander hands us strings, this module checks them. */

export type DbKind = "sqlite" | "postgres";

export type ServerKind = "axon" | "floor";
export type ClientKind = "undici" | "node";

export interface CommonOptions {
  db: DbKind;
  /** axon, or the logic-free floor server (bench/floor-server.ts) that calibrates the generator. */
  server: ServerKind;
  /** HTTP client of the generator. */
  client: ClientKind;
  /** Run the server under `node --cpu-prof`, writing the profile into this directory. */
  cpuProf: string | null;
  /** Where the result JSON goes. */
  out: string;
  /** Long-poll timeout of each /sync, ms. */
  syncTimeoutMs: number;
  seed: number;
  /** Before measuring, wait up to this long for other processes on the box to go quiet. */
  quietWaitS: number;
}

export interface FanoutOptions extends CommonOptions {
  users: number;
  roomSize: number;
  roomsPerUser: number;
  /** How many users keep a /sync open; the rest only change presence. */
  watchers: number;
  /** Presence changes per second, over all users (open loop). */
  rate: number;
  durationS: number;
  /** After the last change: how long to wait for late deliveries before counting the rest lost. */
  drainS: number;
}

export interface StormOptions extends CommonOptions {
  users: number;
  roomSize: number;
  roomsPerUser: number;
  /** Every user starts syncing within this many seconds. */
  withinS: number;
  drainS: number;
}

export interface IdleOptions extends CommonOptions {
  users: number;
  roomSize: number;
  roomsPerUser: number;
  durationS: number;
}

export interface RestartOptions extends CommonOptions {
  users: number;
  roomSize: number;
  roomsPerUser: number;
}

export type RawOptions = Record<string, string | boolean | undefined>;

export class OptionError extends Error {}

function int(raw: RawOptions, key: string, fallback: number, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined || v === true) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new OptionError(`--${kebab(key)} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
  return n;
}

function num(raw: RawOptions, key: string, fallback: number, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined || v === true) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new OptionError(`--${kebab(key)} must be a number from ${min} to ${max}, got ${String(v)}`);
  }
  return n;
}

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function common(raw: RawOptions): CommonOptions {
  const db = raw.db ?? "sqlite";
  if (db !== "sqlite" && db !== "postgres") throw new OptionError(`--db must be sqlite or postgres, got ${String(db)}`);
  const server = raw.server ?? "axon";
  if (server !== "axon" && server !== "floor") throw new OptionError(`--server must be axon or floor, got ${String(server)}`);
  const client = raw.client ?? "undici";
  if (client !== "undici" && client !== "node") throw new OptionError(`--client must be undici or node, got ${String(client)}`);
  const cpuProf = raw.cpuProf;
  return {
    db,
    server,
    client,
    cpuProf: typeof cpuProf === "string" ? cpuProf : cpuProf === true ? "bench/profiles" : null,
    out: typeof raw.out === "string" ? raw.out : "bench/results",
    syncTimeoutMs: int(raw, "syncTimeout", 30_000, 0, 120_000),
    seed: int(raw, "seed", 1, 0, 2 ** 31 - 1),
    quietWaitS: num(raw, "quietWait", 60, 0, 3600),
  };
}

/** Users in rooms of K, R rooms each: K must fit, and the graph must be small enough to seed. */
function graph(raw: RawOptions, users: number, roomSize: number, roomsPerUser: number) {
  const n = int(raw, "users", users, 2, 200_000);
  const k = int(raw, "roomSize", roomSize, 2, 100_000);
  const r = int(raw, "roomsPerUser", roomsPerUser, 1, 50);
  if (k > n) throw new OptionError(`--room-size (${k}) cannot exceed --users (${n})`);
  return { users: n, roomSize: k, roomsPerUser: r };
}

export function parseFanout(raw: RawOptions): FanoutOptions {
  const g = graph(raw, 1000, 20, 3);
  const watchers = int(raw, "watchers", g.users, 1, g.users);
  return {
    ...common(raw),
    ...g,
    watchers,
    rate: num(raw, "rate", 50, 0.1, 100_000),
    durationS: num(raw, "duration", 30, 1, 3600),
    drainS: num(raw, "drain", 5, 0, 120),
  };
}

/** bigroom: fanout with one room holding every member. */
export function parseBigroom(raw: RawOptions): FanoutOptions {
  const members = int(raw, "members", 2000, 2, 100_000);
  return parseFanout({ ...raw, rate: raw.rate ?? "10", users: String(members), roomSize: String(members), roomsPerUser: "1" });
}

export function parseStorm(raw: RawOptions): StormOptions {
  return {
    ...common(raw),
    ...graph(raw, 1000, 20, 3),
    withinS: num(raw, "within", 60, 0.1, 3600),
    drainS: num(raw, "drain", 5, 0, 120),
  };
}

export function parseIdle(raw: RawOptions): IdleOptions {
  return { ...common(raw), ...graph(raw, 1000, 20, 3), durationS: num(raw, "duration", 60, 1, 3600) };
}

export function parseRestart(raw: RawOptions): RestartOptions {
  return { ...common(raw), ...graph(raw, 1000, 20, 3) };
}

export type ClusterMeasurement = "fanout" | "polls" | "failover";

export interface ClusterOptions extends FanoutOptions {
  measurement: ClusterMeasurement;
  /** Axon processes of the cluster. */
  processes: number;
  /** The cluster's Redis (loopback only). */
  redisUrl: string;
  /** fanout: also run the same scenario on one process with PostgreSQL, for the CPU comparison. */
  compare: boolean;
  /** failover: seconds after the first change at which the owner is killed (-9). */
  killAtS: number;
  /** polls: seconds of the idle window (all long-polls open, nothing changing). */
  idleS: number;
  /** polls: most long-polls per generator child process (each under the 20,000-descriptor limit). */
  perPoller: number;
  /** polls: give up when the long-polls are not all open after this many seconds. */
  connectWithinS: number;
  /** Diagnostic, off by default: an index on device_list_changes(stream_id) in the scratch database (docs/performance.md). */
  indexDeviceLists: boolean;
}

/** cluster <fanout|polls|failover>: PostgreSQL always; polls defaults to 40,000 users at 20 changes/s, failover drains longer. */
export function parseCluster(measurement: string, raw: RawOptions): ClusterOptions {
  if (measurement !== "fanout" && measurement !== "polls" && measurement !== "failover") {
    throw new OptionError(`cluster measures fanout, polls or failover, not ${measurement}`);
  }
  if (raw.db !== undefined && raw.db !== "postgres") throw new OptionError("a cluster runs on PostgreSQL only (--db postgres)");
  if (raw.server !== undefined && raw.server !== "axon") throw new OptionError("a cluster runs Axon only (--server axon)");
  const polls = measurement === "polls";
  const f = parseFanout({
    ...raw,
    db: "postgres",
    users: raw.users ?? (polls ? "40000" : "1000"),
    rate: raw.rate ?? (polls ? "20" : "50"),
    drain: raw.drain ?? (measurement === "failover" ? "15" : "5"),
  });
  const redisUrl = typeof raw.redisUrl === "string" ? raw.redisUrl : "redis://127.0.0.1:6379";
  if (!/^redis:\/\/(?:[^@/]*@)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d+)?\/?$/.test(redisUrl)) throw new OptionError(`--redis-url must be a redis:// URL on 127.0.0.0/8, got ${redisUrl}`);
  const o: ClusterOptions = {
    ...f,
    measurement,
    processes: int(raw, "processes", 3, 2, 16),
    redisUrl,
    compare: raw.compare !== false && measurement === "fanout",
    killAtS: num(raw, "killAt", f.durationS / 2, 0, 3600),
    idleS: num(raw, "idle", 10, 1, 600),
    perPoller: int(raw, "perPoller", 10_000, 100, 19_000),
    connectWithinS: num(raw, "connectWithin", 1200, 10, 7200),
    indexDeviceLists: raw.indexDeviceLists === true,
  };
  if (o.killAtS >= o.durationS) throw new OptionError(`--kill-at (${o.killAtS}) must fall within --duration (${o.durationS})`);
  if (o.cpuProf !== null) throw new OptionError("--cpu-prof profiles one process; not available for a cluster");
  return o;
}
