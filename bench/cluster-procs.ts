// Several Axon processes on one fresh PostgreSQL database and the machine's Redis: the cluster the
// `cluster` scenario measures. One config file for all, each process started with `--port`, as
// in a deployment (packages/server/test/cluster/cluster-harness.ts does the same for the tests).
// Only processes started here are stopped or killed, by their pid.
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { stringify } from "yaml";
import { recordedOwner } from "../packages/server/src/cluster/owner-election";
import { createClient, type JsonClient } from "./http-client";
import type { ClusterOptions } from "./options";
import { benchConfig, prepareDatabase, startServer, type BenchDatabase, type ServerHandle } from "./server-process";
import { seedAccounts, seedRooms, type BenchUser } from "./seed";
import { buildTopology, type Topology } from "./topology";
import { sleep } from "./pool";

export interface ClusterBench {
  db: BenchDatabase;
  serverName: string;
  servers: ServerHandle[];
  /** One ordinary (undici) client per process, same order as servers. */
  clients: JsonClient[];
  users: BenchUser[];
  topology: Topology;
  indexOf: Map<string, number>;
  log(msg: string): void;
  /** Index in `servers` of the process `cluster_owner` names, or -1 (none recorded, or not ours). */
  ownerIndex(): Promise<number>;
  /** Waits until a live process other than `not` is recorded as the owner and answers; returns its index. */
  waitForOwner(not?: number, maxMs?: number): Promise<number>;
  close(): Promise<void>;
}

/** The bench's config plus the cluster block: front thread at its default (on), log level warn. */
export function clusterConfig(dbUrl: string, serverName: string, redisUrl: string): Record<string, unknown> {
  return { ...benchConfig(0, dbUrl), server_name: serverName, cluster: { redis_url: redisUrl } };
}

/** Open descriptors of a process (its sockets, mostly). */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/**
 * The rooms are made through the client API (createRoom, /join) by one Axon process on the
 * database, before the cluster starts. Room writes are serialised, one commit each, so at 40,000
 * users (114,000 joins) the fsync of every commit would make set-up take most of an hour on this
 * box: for the seeding alone the database runs with synchronous_commit off (set on this scratch
 * database only, reset before the cluster's processes connect, so they run with the default).
 * Then ANALYZE: this machine's PostgreSQL runs with autovacuum off, so a freshly filled database
 * would keep no statistics and the planner would scan room_state whole for every room state load
 * (at 40,000 users, 0.6 s each: initial syncs crawled at 6 a second). With autovacuum on, as
 * PostgreSQL ships, its own analyze does this.
 */
async function seedRoomsQuickly(db: BenchDatabase, serverName: string, users: BenchUser[], topology: Topology, o: ClusterOptions, log: (msg: string) => void): Promise<void> {
  const name = new URL(db.url).pathname.slice(1);
  if (!/^axon_bench_\w+$/.test(name)) throw new Error(`not a bench database: ${name}`);
  await adminQuery(db.url, `alter database ${name} set synchronous_commit = off`);
  const config = join(db.dir, "axon-seed.yaml");
  writeFileSync(config, stringify({ ...benchConfig(0, db.url), server_name: serverName }));
  const seeder = await startServer({ db, cpuProf: null, label: "seed", sharedConfig: config });
  const client = createClient(o.client, seeder.url);
  try {
    const t0 = performance.now();
    log(`creating ${topology.rooms.length} rooms over HTTP (one seeding process, pid ${seeder.pid})`);
    await seedRooms(client, users, topology, 32);
    log(`rooms ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    client.close();
    await seeder.stop();
    await adminQuery(db.url, `alter database ${name} reset synchronous_commit`);
  }
  if (o.indexDeviceLists) {
    // Diagnostic only (--index-device-lists): the followers read max(stream_id) of this table every
    // second, and without an index that is a scan of every row (2.3 million at 40,000 users).
    log("diagnostic: creating an index on device_list_changes(stream_id), which Axon's schema lacks");
    await adminQuery(db.url, "create index bench_device_list_changes_stream on device_list_changes (stream_id)");
  }
  await adminQuery(db.url, "analyze");
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function setUpCluster(o: ClusterOptions, log: (msg: string) => void): Promise<ClusterBench> {
  const db = await prepareDatabase("postgres");
  // A server name of its own: the processes' Redis channels are axon:<server_name>:*.
  const serverName = `bench${process.pid}t${Date.now().toString(36)}.localhost`;
  const servers: ServerHandle[] = [];
  const clients: JsonClient[] = [];
  const ownerUrl = async (): Promise<string | null> => (await recordedOwner(db.url))?.url ?? null;
  const ownerIndex = async () => {
    const url = await ownerUrl();
    return servers.findIndex((s) => s.url === url);
  };
  const waitForOwner = async (not = -1, maxMs = 60_000) => {
    const end = performance.now() + maxMs;
    for (;;) {
      const i = await ownerIndex().catch(() => -1);
      const s = servers[i];
      // Recorded, not the excluded one, alive, and answering as the owner (its promotion is complete).
      if (s && i !== not && s.alive()) {
        const res = await fetch(`${s.url}/_matrix/client/v3/account/whoami`).catch(() => null);
        if (res?.status === 401) return i;
      }
      if (performance.now() > end) throw new Error(`no owner after ${maxMs} ms`);
      await sleep(50);
    }
  };
  const stopAll = async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
    await db.dispose();
  };
  try {
    log(`seeding ${o.users} users into a fresh PostgreSQL database (${serverName})`);
    const users = await seedAccounts(db.url, o.users, serverName);
    const topology = buildTopology({ users: o.users, roomSize: o.roomSize, roomsPerUser: o.roomsPerUser, seed: o.seed });
    await seedRoomsQuickly(db, serverName, users, topology, o, log);
    const config = join(db.dir, "axon-cluster.yaml");
    writeFileSync(config, stringify(clusterConfig(db.url, serverName, o.redisUrl)));
    for (let i = 0; i < o.processes; i++) {
      const s = await startServer({ db, cpuProf: null, label: `p${i}`, sharedConfig: config });
      servers.push(s);
      clients.push(createClient(o.client, s.url));
      log(`process ${i}: pid ${s.pid} at ${s.url} (ready in ${s.readyMs.toFixed(0)} ms)`);
    }
    const owner = await waitForOwner();
    log(`owner: process ${owner} (pid ${servers[owner]!.pid})`);
    return {
      db,
      serverName,
      servers,
      clients,
      users,
      topology,
      indexOf: new Map(users.map((u) => [u.userId, u.index])),
      log,
      ownerIndex,
      waitForOwner,
      close: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
