import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, sql, type LogEvent, type MigrationProvider } from "kysely";
import pg from "pg";
import { migrations } from "./migrations/index";
import type { Database } from "./schema";
import { CachingSqliteDialect } from "./sqlite-driver";

// int8 (bigint) columns hold millisecond timestamps and stream positions: all fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

export type Dialect = "sqlite" | "postgres";

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Human-readable location, for start-up messages (no password). */
  location: string;
  close(): Promise<void>;
}

/** Opens `sqlite:PATH` (`sqlite::memory:` for tests) or `postgres://...` and migrates it to the latest schema. */
export async function openDatabase(url: string, opts: { onQuery?: (sql: string, ms: number) => void } = {}): Promise<OpenDatabase> {
  // Only with a listener (metrics on): Kysely's log costs a timing and an event per statement.
  const onQuery = opts.onQuery;
  const log = onQuery ? (e: LogEvent) => onQuery(e.query.sql, e.queryDurationMillis) : undefined;
  let db: Kysely<Database>;
  let dialect: Dialect;
  let location: string;
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length);
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const sqlite = new SqliteDatabase(path);
    sqlite.pragma("journal_mode = WAL");
    // FULL: an acknowledged write survives power loss, not just a process crash.
    sqlite.pragma("synchronous = FULL");
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("foreign_keys = ON");
    db = new Kysely<Database>({ dialect: new CachingSqliteDialect(sqlite), log });
    dialect = "sqlite";
    location = path;
  } else {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log });
    dialect = "postgres";
    const u = new URL(url);
    location = `postgres://${u.host}${u.pathname}`;
  }
  try {
    await migrate(db, dialect);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, dialect, location, close: () => db.destroy() };
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

async function migrate(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  // Kysely looks for its own tables in every PostgreSQL schema; name ours (the search_path's
  // first), or a database holding several Axon schemas (tests, shared hosts) confuses it.
  let migrationTableSchema: string | undefined;
  if (dialect === "postgres") {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema;
  }
  const { error } = await new Migrator({ db, provider, migrationTableSchema }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
