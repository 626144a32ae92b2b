import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** Parses "500ms", "30s", "5m", "1h" (or a bare number of milliseconds) into milliseconds. */
export function parseDuration(raw: string | number): number | null {
  if (typeof raw === "number") return Number.isFinite(raw) && raw >= 0 ? raw : null;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(raw.trim());
  if (!m) return null;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * factor);
}

/** A string-or-number key read by `parse`; a value it refuses is reported with `hint`. */
const parsedValue = (fallback: string, parse: (v: string | number) => number | null, hint: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((v, ctx) => {
      const n = parse(v);
      if (n === null) {
        ctx.addIssue({ code: "custom", message: `${hint}: ${String(v)}` });
        return z.NEVER;
      }
      return n;
    });

const duration = (fallback: string) => parsedValue(fallback, parseDuration, "not a duration (use e.g. 500ms, 30s, 5m, 1h)");

/** Parses "50M", "512K", "1G" (binary units) or a bare number of bytes. */
export function parseByteSize(raw: string | number): number | null {
  if (typeof raw === "number") return Number.isInteger(raw) && raw > 0 ? raw : null;
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(raw.trim());
  if (!m) return null;
  const n = Number(m[1]) * 1024 ** ["", "K", "M", "G"].indexOf((m[2] ?? "").toUpperCase());
  return n > 0 ? n : null;
}

const byteSize = (fallback: string) => parsedValue(fallback, parseByteSize, "not a size (use e.g. 512K, 50M, 1G)");

/** A token bucket: refilled at per_second, holding up to burst; per_second 0 disables it. */
const rateLimit = (perSecond: number, burst: number) =>
  z
    .object({ per_second: z.number().min(0).default(perSecond), burst: z.number().int().min(0).default(burst) })
    .strict()
    .prefault({});

/** An IPv4/IPv6 address, or one with a /prefix. */
function isAddressOrRange(raw: string): boolean {
  const [addr = "", prefix, ...rest] = raw.split("/");
  const family = isIP(addr);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const serverName = z.string().regex(/^[a-zA-Z0-9.-]+(:\d{1,5})?$/, "must be a host name, optionally with :port");

export const configSchema = z
  .object({
    server_name: serverName.default("localhost"),
    listen: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8008),
        /**
         * Descriptors of the listening socket: libuv accepts one connection per event-loop turn on
         * each, so more of them let a busy server take in more new connections a second.
         */
        accept_descriptors: z.number().int().min(1).max(1024).default(64),
        /**
         * Client connections (accepting, HTTP parsing, writing answers) live on a thread of their
         * own, and the main thread, which holds all state, only computes the answers: a busy
         * server then uses a second core. false: the main thread does both.
         */
        front_thread: z.boolean().default(true),
        /**
         * Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed: the client
         * address (for rate limits) is then the last one in that header not itself a trusted proxy.
         */
        trusted_proxies: z.array(z.string().refine(isAddressOrRange, "must be an IP address or CIDR range")).default([]),
      })
      .strict()
      .prefault({}),
    /** Where clients reach us; defaults to http://<listen.host>:<listen.port>/. */
    public_baseurl: z.url().optional(),
    database: z
      .object({
        url: z
          .string()
          .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, "must start with sqlite: or postgres://")
          .default("sqlite:./data/axon.db"),
      })
      .strict()
      .prefault({}),
    registration: z.object({ enabled: z.boolean().default(false) }).strict().prefault({}),
    log: z
      .object({ level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info") })
      .strict()
      .prefault({}),
    presence: z
      .object({
        enabled: z.boolean().default(true),
        busy_presence: z.boolean().default(true),
        /** Defaults to busy_presence. */
        busy_during_calls: z.boolean().optional(),
        /** MSC4426: keep org.matrix.msc4426.call on the profile of users in a call (needs busy_during_calls). */
        call_profile_field: z.boolean().default(true),
        sync_timeout: duration("30s"),
        idle_timeout: duration("5m"),
        busy_timeout: duration("1h"),
        last_active_granularity: duration("60s"),
        max_status_length: z.number().int().min(1).max(65536).default(1024),
        /** Honour `io.axon.expires_at` on PUT /presence (an explicit choice that ends by itself). */
        status_expiry: z.boolean().default(true),
        /** Busy users' notifications wait instead of being pushed to their phones (the policy lives in push/busy-hold.ts). */
        busy_holds_push: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    rate_limits: z
      .object({
        presence: z
          .object({
            per_second: z.number().min(0).default(1),
            burst: z.number().int().min(0).default(5),
          })
          .strict()
          .prefault({}),
        /** POST /login, per client address and per account (password guessing). */
        login: rateLimit(0.5, 10),
        /** POST /register, per client address. */
        register: rateLimit(0.2, 10),
      })
      .strict()
      .prefault({}),
    /** Prometheus metrics on a listener of their own (off by default). */
    metrics: z
      .object({
        enabled: z.boolean().default(false),
        listen: z
          .object({ host: z.string().min(1).default("127.0.0.1"), port: z.number().int().min(0).max(65535).default(9092) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** The web page (built from packages/web) served at `/`. */
    web: z.object({ enabled: z.boolean().default(true) }).strict().prefault({}),
    /** The media repository (issue 16): uploads on disk, content-addressed, metadata in the database. */
    media: z
      .object({
        path: z.string().min(1).default("./data/media"),
        max_upload_size: byteSize("50M"),
        /** Uploads (and pending /create ids) a user may start per minute; 0: no limit. */
        uploads_per_minute: z.number().int().min(0).default(30),
        /** The frozen unauthenticated /_matrix/media/v3/download|thumbnail; off for new installs. */
        legacy_unauthenticated: z.boolean().default(false),
        /** Largest image (in pixels) a thumbnail is made from. */
        max_thumbnail_source_pixels: z.number().int().min(1).default(40_000_000),
      })
      .strict()
      .prefault({}),
    /** TURN credentials for GET /voip/turnServer (the TURN REST API shared-secret scheme). */
    voip: z
      .object({
        turn_uris: z.array(z.string().min(1)).default([]),
        turn_shared_secret: z.string().optional(),
        turn_user_lifetime: duration("1h"),
      })
      .strict()
      .prefault({}),
    /** Pushers (POST /pushers/set) and delivery to their push gateways. */
    push: z
      .object({
        /**
         * Let pushers point at loopback, private, link-local or unspecified addresses (by IP or by
         * what the host name resolves to). Off: such gateways are refused, so users cannot make the
         * server call into its own network.
         */
        allow_private_gateways: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** POST /user_directory/search: false finds only people who share a room with the searcher. */
    user_directory: z.object({ search_all_users: z.boolean().default(false) }).strict().prefault({}),
    /**
     * Several identical processes on one PostgreSQL (issue 14); absent: a single process. One of
     * them (the owner) writes; the others answer /sync themselves and forward the rest to it.
     */
    cluster: z
      .object({
        /** The message bus between the processes (Redis pub/sub). */
        redis_url: z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://"),
        /** Where the other processes reach this one; defaults to http://<listen.host>:<listen.port>. */
        advertise_url: z.url().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

type ParsedConfig = z.output<typeof configSchema>;

export interface Config extends Omit<ParsedConfig, "public_baseurl" | "presence" | "cluster"> {
  public_baseurl: string;
  cluster?: { redis_url: string; advertise_url: string };
  presence: Omit<ParsedConfig["presence"], "busy_during_calls"> & { busy_during_calls: boolean };
}

export class ConfigError extends Error {}

/** Validates a raw config object (from YAML or code), fills defaults, and names the first bad key. */
export function buildConfig(raw: unknown): Config {
  const result = configSchema.safeParse(dropNulls(raw ?? {}));
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const key = i.path.join(".") || "(root)";
      if (i.code === "unrecognized_keys") {
        const prefix = i.path.length ? `${i.path.join(".")}.` : "";
        return `unknown key ${i.keys.map((k) => prefix + k).join(", ")}`;
      }
      return `${key}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration: ${lines.join("; ")}`);
  }
  const c = result.data;
  if (c.cluster && !/^postgres(ql)?:\/\//.test(c.database.url)) {
    throw new ConfigError("invalid configuration: cluster: several processes need PostgreSQL (database.url postgres://...), not SQLite");
  }
  const host = c.listen.host.includes(":") ? `[${c.listen.host}]` : c.listen.host;
  const baseurl = c.public_baseurl ?? `http://${host}:${c.listen.port}/`;
  const { cluster, ...rest } = c;
  return {
    ...rest,
    ...(cluster ? { cluster: { redis_url: cluster.redis_url, advertise_url: (cluster.advertise_url ?? `http://${host}:${c.listen.port}`).replace(/\/$/, "") } } : {}),
    public_baseurl: baseurl.endsWith("/") ? baseurl : `${baseurl}/`,
    presence: { ...c.presence, busy_during_calls: c.presence.busy_during_calls ?? c.presence.busy_presence },
  };
}

/** A YAML key whose children are all commented out (`presence:`) parses as null: treat it as unset. */
function dropNulls(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, dropNulls(v)]),
  );
}

export interface ConfigOverrides {
  databaseUrl?: string;
  /** `axon serve --port`: one config file for every process of a cluster. */
  port?: number;
}

/** Reads the YAML file (if any), applies AXON_DATABASE_URL and explicit overrides, validates. */
export function loadConfig(path: string | undefined, overrides: ConfigOverrides = {}, env = process.env): Config {
  let raw: Record<string, unknown> = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined && (typeof parsed !== "object" || Array.isArray(parsed))) {
      throw new ConfigError(`config file ${path} must be a mapping of keys`);
    }
    raw = (parsed as Record<string, unknown> | null) ?? {};
  }
  const dbUrl = overrides.databaseUrl ?? env.AXON_DATABASE_URL;
  if (dbUrl) raw = { ...raw, database: { ...((raw.database as object | undefined) ?? {}), url: dbUrl } };
  if (overrides.port !== undefined) raw = { ...raw, listen: { ...((raw.listen as object | undefined) ?? {}), port: overrides.port } };
  return buildConfig(raw);
}
