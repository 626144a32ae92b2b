import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { buildConfig, ConfigError, loadConfig, parseByteSize, parseDuration } from "./config";

const dir = mkdtempSync(join(tmpdir(), "axon-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const yamlFile = (text: string) => {
  const p = join(dir, `c${++n}.yaml`);
  writeFileSync(p, text);
  return p;
};

/** Asserts that building fails with a ConfigError whose message contains every fragment. */
const rejects = (raw: unknown, ...fragments: string[]) =>
  assert.throws(
    () => buildConfig(raw),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      for (const f of fragments) assert.match(err.message, new RegExp(f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      return true;
    },
  );

describe("config defaults", () => {
  it("an empty config gives the documented defaults", () => {
    const c = buildConfig({});
    assert.equal(c.server_name, "localhost");
    assert.deepEqual(c.listen, { host: "127.0.0.1", port: 8008, accept_descriptors: 64, front_thread: true, trusted_proxies: [] });
    assert.equal(c.public_baseurl, "http://127.0.0.1:8008/");
    assert.equal(c.database.url, "sqlite:./data/axon.db");
    assert.equal(c.registration.enabled, false);
    assert.equal(c.log.level, "info");
    assert.deepEqual(c.presence, {
      enabled: true,
      busy_presence: true,
      busy_during_calls: true,
      call_profile_field: true,
      sync_timeout: 30_000,
      idle_timeout: 300_000,
      busy_timeout: 3_600_000,
      last_active_granularity: 60_000,
      max_status_length: 1024,
      status_expiry: true,
      busy_holds_push: true,
    });
    assert.deepEqual(c.rate_limits, { presence: { per_second: 1, burst: 5 }, login: { per_second: 0.5, burst: 10 }, register: { per_second: 0.2, burst: 10 } });
    assert.deepEqual(c.listen.trusted_proxies, []);
    assert.deepEqual(c.metrics, { enabled: false, listen: { host: "127.0.0.1", port: 9092 } });
    assert.deepEqual(c.web, { enabled: true });
    assert.deepEqual(c.push, { allow_private_gateways: false });
  });

  it("web.enabled: false turns the page off", () => {
    assert.deepEqual(buildConfig({ web: { enabled: false } }).web, { enabled: false });
  });

  it("null and undefined count as an empty config", () => {
    assert.deepEqual(buildConfig(null), buildConfig({}));
    assert.deepEqual(buildConfig(undefined), buildConfig({}));
  });

  it("public_baseurl follows listen and always ends with a slash", () => {
    assert.equal(buildConfig({ listen: { host: "0.0.0.0", port: 9000 } }).public_baseurl, "http://0.0.0.0:9000/");
    assert.equal(buildConfig({ listen: { host: "::1" } }).public_baseurl, "http://[::1]:8008/");
    assert.equal(buildConfig({ public_baseurl: "https://matrix.example.org" }).public_baseurl, "https://matrix.example.org/");
  });

  it("busy_during_calls defaults to busy_presence unless set", () => {
    assert.equal(buildConfig({ presence: { busy_presence: false } }).presence.busy_during_calls, false);
    assert.equal(buildConfig({ presence: { busy_presence: true } }).presence.busy_during_calls, true);
    assert.equal(buildConfig({ presence: { busy_presence: true, busy_during_calls: false } }).presence.busy_during_calls, false);
    assert.equal(buildConfig({ presence: { busy_presence: false, busy_during_calls: true } }).presence.busy_during_calls, true);
  });
});

describe("durations", () => {
  it("parses ms, s, m and h", () => {
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration(250), 250);
  });

  it("rejects what is not a duration", () => {
    for (const bad of ["5", "5 minutes", "m", "-1s", "1d", ""]) assert.equal(parseDuration(bad), null, bad);
    assert.equal(parseDuration(-5), null);
    assert.equal(parseDuration(Number.NaN), null);
  });

  it("config durations become milliseconds", () => {
    const c = buildConfig({ presence: { sync_timeout: "500ms", idle_timeout: "30s", busy_timeout: "5m", last_active_granularity: "1h" } });
    assert.equal(c.presence.sync_timeout, 500);
    assert.equal(c.presence.idle_timeout, 30_000);
    assert.equal(c.presence.busy_timeout, 300_000);
    assert.equal(c.presence.last_active_granularity, 3_600_000);
  });

  it("a bad duration names its key", () => rejects({ presence: { idle_timeout: "5 minutes" } }, "presence.idle_timeout", "5 minutes"));
});

describe("config validation names the key", () => {
  it("unknown top-level key", () => rejects({ bogus: 1 }, "unknown key bogus"));
  it("unknown nested key", () => rejects({ presence: { busy: true } }, "unknown key presence.busy"));
  it("unknown deeply nested key", () => rejects({ rate_limits: { presence: { rate: 1 } } }, "unknown key rate_limits.presence.rate"));
  it("wrong type", () => rejects({ listen: { port: "8008" } }, "listen.port"));
  it("wrong type for a boolean", () => rejects({ registration: { enabled: "yes" } }, "registration.enabled"));
  it("a block that is not a mapping", () => rejects({ presence: 3 }, "presence"));
  it("port out of range", () => rejects({ listen: { port: 70000 } }, "listen.port"));
  it("no accept descriptor at all", () => rejects({ listen: { accept_descriptors: 0 } }, "listen.accept_descriptors"));
  it("bad database url", () => rejects({ database: { url: "mysql://x" } }, "database.url"));
  it("bad log level", () => rejects({ log: { level: "loud" } }, "log.level"));
  it("bad server name", () => rejects({ server_name: "not a host" }, "server_name"));
  it("negative rate limit", () => rejects({ rate_limits: { presence: { burst: -1 } } }, "rate_limits.presence.burst"));
  it("a trusted proxy that is not an address", () => rejects({ listen: { trusted_proxies: ["10.0.0.1", "proxy.local"] } }, "listen.trusted_proxies.1"));
  it("a trusted range with a bad prefix", () => rejects({ listen: { trusted_proxies: ["10.0.0.0/33"] } }, "listen.trusted_proxies.0"));
  it("a negative login rate", () => rejects({ rate_limits: { login: { per_second: -1 } } }, "rate_limits.login.per_second"));
  it("metrics port out of range", () => rejects({ metrics: { listen: { port: 70000 } } }, "metrics.listen.port"));
  it("unknown web key", () => rejects({ web: { root: "/srv" } }, "unknown key web.root"));
  it("web.enabled not a boolean", () => rejects({ web: { enabled: "no" } }, "web.enabled"));
  it("bad public_baseurl", () => rejects({ public_baseurl: "not a url" }, "public_baseurl"));
});

describe("cluster (several processes)", () => {
  const pg = { url: "postgres://axon@db/axon" };
  it("absent by default: one process", () => assert.equal(buildConfig({}).cluster, undefined));
  it("advertise_url defaults to the listen address", () => {
    const c = buildConfig({ database: pg, listen: { host: "10.0.0.5", port: 8010 }, cluster: { redis_url: "redis://r:6379" } });
    assert.deepEqual(c.cluster, { redis_url: "redis://r:6379", advertise_url: "http://10.0.0.5:8010" });
    const d = buildConfig({ database: pg, cluster: { redis_url: "redis://r", advertise_url: "http://a.internal:9000/" } });
    assert.equal(d.cluster?.advertise_url, "http://a.internal:9000");
  });
  it("refused with SQLite, naming the keys", () => rejects({ cluster: { redis_url: "redis://r" } }, "cluster", "database.url", "PostgreSQL"));
  it("a bad redis_url", () => rejects({ database: pg, cluster: { redis_url: "http://r" } }, "cluster.redis_url"));
  it("unknown cluster key", () => rejects({ database: pg, cluster: { redis_url: "redis://r", peers: [] } }, "unknown key cluster.peers"));
});

describe("loadConfig", () => {
  it("no file: the defaults", () => {
    assert.deepEqual(loadConfig(undefined, {}, {}), buildConfig({}));
  });

  it("reads YAML", () => {
    const p = yamlFile("server_name: example.org\nlisten:\n  port: 9999\npresence:\n  idle_timeout: 10m\n");
    const c = loadConfig(p, {}, {});
    assert.equal(c.server_name, "example.org");
    assert.equal(c.listen.port, 9999);
    assert.equal(c.presence.idle_timeout, 600_000);
  });

  it("a block whose keys are all commented out counts as unset", () => {
    const p = yamlFile("server_name: example.org\npresence:\n  # enabled: true\nrate_limits:\n  presence:\npublic_baseurl:\n");
    const c = loadConfig(p, {}, {});
    assert.equal(c.server_name, "example.org");
    assert.deepEqual(c.presence, buildConfig({}).presence);
    assert.deepEqual(c.rate_limits, buildConfig({}).rate_limits);
    assert.equal(c.public_baseurl, "http://127.0.0.1:8008/");
  });

  it("an empty file is the defaults", () => {
    assert.deepEqual(loadConfig(yamlFile(""), {}, {}), buildConfig({}));
  });

  it("an unknown key in the file is named", () => {
    assert.throws(() => loadConfig(yamlFile("listen:\n  prot: 1\n"), {}, {}), /unknown key listen\.prot/);
  });

  it("a missing file, broken YAML or a non-mapping is a ConfigError naming the file", () => {
    const missing = join(dir, "nope.yaml");
    assert.throws(() => loadConfig(missing, {}, {}), (e: Error) => e instanceof ConfigError && e.message.includes(missing));
    const broken = yamlFile("listen: [1,\n");
    assert.throws(() => loadConfig(broken, {}, {}), (e: Error) => e instanceof ConfigError && /not valid YAML/.test(e.message));
    const list = yamlFile("- a\n- b\n");
    assert.throws(() => loadConfig(list, {}, {}), (e: Error) => e instanceof ConfigError && /mapping/.test(e.message));
    const scalar = yamlFile("hello\n");
    assert.throws(() => loadConfig(scalar, {}, {}), (e: Error) => e instanceof ConfigError && /mapping/.test(e.message));
  });

  it("AXON_DATABASE_URL overrides the file; --database-url overrides both", () => {
    const p = yamlFile("database:\n  url: sqlite:/tmp/file.db\n");
    assert.equal(loadConfig(p, {}, {}).database.url, "sqlite:/tmp/file.db");
    const env = { AXON_DATABASE_URL: "postgres://env@db/axon" };
    assert.equal(loadConfig(p, {}, env).database.url, "postgres://env@db/axon");
    assert.equal(loadConfig(undefined, {}, env).database.url, "postgres://env@db/axon");
    assert.equal(loadConfig(p, { databaseUrl: "sqlite:/tmp/flag.db" }, env).database.url, "sqlite:/tmp/flag.db");
  });

  it("an override is validated like the file", () => {
    assert.throws(() => loadConfig(undefined, { databaseUrl: "mysql://x" }, {}), /database\.url/);
  });
});

describe("axon.example.yaml", () => {
  const example = fileURLToPath(new URL("../../../axon.example.yaml", import.meta.url));

  it("loads to exactly the defaults", () => {
    assert.deepEqual(loadConfig(example, {}, {}), buildConfig({}));
  });

  it("mentions every key", () => {
    const text = readFileSync(example, "utf8");
    const keys = (o: object): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === "object" && v !== null ? [k, ...keys(v as object)] : [k]));
    for (const key of keys(buildConfig({}))) assert.match(text, new RegExp(`^\\s*#?\\s*${key}:`, "m"), key);
  });
});

describe("byte sizes (media.max_upload_size)", () => {
  it("parses bytes and K, M, G in binary units", () => {
    assert.equal(parseByteSize(1000), 1000);
    assert.equal(parseByteSize("512K"), 512 * 1024);
    assert.equal(parseByteSize("50M"), 50 * 1024 * 1024);
    assert.equal(parseByteSize("1GiB"), 1024 ** 3);
    assert.equal(buildConfig({ media: { max_upload_size: "3m" } }).media.max_upload_size, 3 * 1024 * 1024);
  });

  it("refuses what is not a size, naming the key", () => {
    for (const bad of ["", "ten", "5T", "-1", 0, 1.5]) assert.equal(parseByteSize(bad), null, String(bad));
    assert.throws(() => buildConfig({ media: { max_upload_size: "big" } }), /media\.max_upload_size: not a size/);
  });
});
