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
