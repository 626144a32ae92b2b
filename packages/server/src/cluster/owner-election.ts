import { createHash } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";

/**
 * Which of several identical Axon processes on one PostgreSQL is the owner: the one holding a
 * session-level advisory lock on a dedicated connection. PostgreSQL frees the lock when that
 * connection's session ends (a graceful close, kill -9, a terminated backend), and another process,
 * retrying every `retryMs`, takes it over.
 *
 * Two owners at once. A process acts as owner only while it can prove its lock connection is alive:
 * it runs `SELECT 1` every `checkMs` (giving up after `checkTimeoutMs`) and steps down (onChange(false))
 * at once when that fails or when the client reports an error or the end of the connection, before
 * it tries again like any non-owner. Someone else can take over only once PostgreSQL has freed the
 * lock, which it does only when it notices the session is gone:
 * - the process died or closed: the connection closes with it, nothing left to stop;
 * - the backend was terminated or PostgreSQL restarted: the lock goes with the backend and the owner
 *   hears of it by the same socket at the same moment; others only try every `retryMs`, so the owner
 *   has stepped down first unless its event loop was stalled for longer than that;
 * - the network between them broke: the owner steps down within `checkMs + checkTimeoutMs` (6 s by
 *   default), while PostgreSQL frees the lock only after its TCP keepalives give up, which this
 *   connection sets to 10 s idle + 3 probes 3 s apart (about 19 s).
 * The bound is time-based, so it is not absolute: writes that must never come from two owners can
 * fence on `epoch` (e.g. `... where (select epoch from cluster_owner where id = 1) = $epoch`).
 */

export interface OwnerInfo {
  processId: string;
  url: string;
  epoch: number;
}

export interface OwnerElectionOptions {
  connectionString: string;
  /** e.g. "axon:<server_name>:owner"; hashed to the advisory lock's bigint key. */
  lockKey: string;
  processId: string;
  /** This process's internal URL, which other processes forward owner-only requests to. */
  url: string;
  /** How often a non-owner tries to take the lock (ms). */
  retryMs?: number;
  /** How often the owner checks that its lock connection is alive (ms). */
  checkMs?: number;
  /** How long that check may take before the owner steps down (ms). */
  checkTimeoutMs?: number;
  /** How long connecting may take (ms). */
  connectTimeoutMs?: number;
  log: Pick<Logger, "info" | "warn" | "error">;
}

/** The advisory lock key for a name: the first 8 bytes of its sha256, as a signed 64-bit decimal. */
export function advisoryLockKey(lockKey: string): string {
  return createHash("sha256").update(lockKey).digest().readBigInt64BE(0).toString();
}

// Server-side keepalives, so PostgreSQL frees the lock of a vanished client (~19 s) but only well
// after that client, failing its checks, has stepped down (see above). application_name lets
// operators (and tests) find the connection in pg_stat_activity.
const SETUP_SQL = `select set_config('application_name', $1, false),
  set_config('tcp_keepalives_idle', '10', false),
  set_config('tcp_keepalives_interval', '3', false),
  set_config('tcp_keepalives_count', '3', false)`;

const RECORD_SQL = `insert into cluster_owner (id, process_id, url, epoch, since) values (1, $1, $2, 1, $3)
  on conflict (id) do update set process_id = excluded.process_id, url = excluded.url,
    epoch = cluster_owner.epoch + 1, since = excluded.since
  returning epoch`;

interface OwnerRow {
  process_id: string;
  url: string;
  /** A string unless storage/database.ts's int8 parser is installed. */
  epoch: string | number;
}

export class OwnerElection {
  private readonly key: string;
  private readonly retryMs: number;
  private readonly checkMs: number;
  private readonly checkTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly log: OwnerElectionOptions["log"];
  private readonly listeners: ((isOwner: boolean) => void)[] = [];
  private client: pg.Client | null = null;
  private owner = false;
  private ownEpoch: number | null = null;
  private started = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  /** Everything that uses the dedicated client runs one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: OwnerElectionOptions) {
    this.key = advisoryLockKey(opts.lockKey);
    this.retryMs = opts.retryMs ?? 2000;
    this.checkMs = opts.checkMs ?? 1000;
    this.checkTimeoutMs = opts.checkTimeoutMs ?? 5000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.log = opts.log;
  }

  get isOwner(): boolean {
    return this.owner;
  }

  /** This process's epoch while it is the owner (a fencing token), otherwise null. */
  get epoch(): number | null {
    return this.owner ? this.ownEpoch : null;
  }

  /** Called on becoming owner (true) and on stepping down (false). */
  onChange(listener: (isOwner: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Connects and tries the lock once (resolves either way; a failure is logged), then keeps trying every retryMs. */
  async start(): Promise<void> {
    if (this.started) throw new Error("OwnerElection.start() called twice");
    this.started = true;
    await this.serial(() => this.step());
    if (this.timer === undefined) this.schedule();
  }

  /** The current owner as recorded in the database (null if none recorded). */
  currentOwner(): Promise<OwnerInfo | null> {
    return this.serial(async () => {
      const own = this.client;
      const client = own ?? (await this.connect(false));
      try {
        return await ownerOn(client);
      } finally {
        if (!own) await endQuietly(client);
      }
    });
  }

  /** Stops owner duties (onChange(false)) first, then ends the lock connection, which frees the lock at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = null;
    if (this.owner) {
      this.log.info({ processId: this.opts.processId }, "owner election: closing, handing over ownership");
      this.setOwner(false);
    }
    if (client) await endQuietly(client);
    // Whatever was in flight fails fast on the ended client, or sees `closed` and drops its own.
    await this.chain;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The next step in `ms`: a check when owner, a try when not. One timer at a time. */
  private schedule(ms: number = this.owner ? this.checkMs : this.retryMs): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.serial(() => this.step())
        .catch((err: unknown) => this.log.error({ err }, "owner election: step failed"))
        .then(() => {
          if (this.timer === undefined) this.schedule();
        });
    }, ms);
  }

  private async step(): Promise<void> {
    if (this.closed) return;
    if (this.owner) await this.check();
    else await this.tryLock();
  }

  private async check(): Promise<void> {
    const client = this.client;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`lock connection check took over ${this.checkTimeoutMs} ms`)), this.checkTimeoutMs);
    });
    try {
      await Promise.race([client.query("select 1"), timeout]);
    } catch (err) {
      this.lost(client, err); // ends the client, which also abandons a hung query
    } finally {
      clearTimeout(timer);
    }
  }

  private async tryLock(): Promise<void> {
    let client = this.client;
    try {
      client ??= await this.connect(true);
      const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1::bigint) as locked", [this.key]);
      if (rows[0]?.locked !== true || client !== this.client) return;
      // Recorded on the lock's own connection: if this fails the connection is dropped, and the lock with it.
      const recorded = await client.query<{ epoch: string | number }>(RECORD_SQL, [this.opts.processId, this.opts.url, Date.now()]);
      if (client !== this.client || this.closed) return;
      this.ownEpoch = Number(recorded.rows[0]?.epoch);
      this.setOwner(true);
    } catch (err) {
      if (client) this.lost(client, err);
      else this.log.warn({ err, processId: this.opts.processId }, "owner election: cannot connect to PostgreSQL; retrying");
    }
  }

  /** A new client; the lock client also becomes `this.client` and reports its own loss. */
  private async connect(forLock: boolean): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.opts.connectionString,
      connectionTimeoutMillis: this.connectTimeoutMs,
      keepAlive: true,
    });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    try {
      await client.connect();
      const name = `axon-owner ${this.opts.processId}`.slice(0, 63);
      await client.query(SETUP_SQL, [forLock ? name : `${name} read`]);
    } catch (err) {
      await endQuietly(client);
      throw err;
    }
    if (forLock) {
      if (this.closed) {
        await endQuietly(client);
        throw new Error("owner election closed");
      }
      this.client = client;
    }
    return client;
  }

  /** The lock connection failed or ended: step down at once, drop it, try again in retryMs. */
  private lost(client: pg.Client, err: unknown): void {
    if (client !== this.client) return;
    this.client = null;
    if (this.owner) {
      this.log.error({ err, processId: this.opts.processId }, "owner election: lock connection lost; stepping down");
      this.setOwner(false);
    } else {
      this.log.warn({ err, processId: this.opts.processId }, "owner election: lock connection failed; reconnecting");
    }
    void endQuietly(client);
    this.schedule(this.retryMs);
  }

  private setOwner(isOwner: boolean): void {
    if (this.owner === isOwner) return;
    this.owner = isOwner;
    if (isOwner) this.log.info({ processId: this.opts.processId, epoch: this.ownEpoch }, "owner election: this process is now the owner");
    else this.log.info({ processId: this.opts.processId }, "owner election: this process is no longer the owner");
    for (const listener of this.listeners) {
      try {
        listener(isOwner);
      } catch (err) {
        this.log.error({ err }, "owner election: onChange listener threw");
      }
    }
  }
}

/** Ends a client without waiting more than a second (a dead socket may never confirm). */
async function endQuietly(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1000);
    }),
  ]);
  clearTimeout(timer);
}

async function ownerOn(client: pg.Client): Promise<OwnerInfo | null> {
  const { rows } = await client.query<OwnerRow>("select process_id, url, epoch from cluster_owner where id = 1");
  const row = rows[0];
  return row ? { processId: row.process_id, url: row.url, epoch: Number(row.epoch) } : null;
}

/** The owner recorded in the database, read on a short-lived connection (for tools, benchmarks and tests outside the processes). */
export async function recordedOwner(connectionString: string): Promise<OwnerInfo | null> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await ownerOn(client);
  } finally {
    await client.end();
  }
}
