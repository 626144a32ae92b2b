import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type OpenDatabase } from "../src/storage/database";

export const PG_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let pgReachable: Promise<string | null> | undefined;

/** null when PostgreSQL answers; otherwise why not. */
export function postgresUnavailable(): Promise<string | null> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("select 1");
      return null;
    } catch (err) {
      return `PostgreSQL at ${PG_URL.replace(/\/\/[^@]*@/, "//")} is not reachable (${(err as Error).message}); set TEST_PG_URL`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgReachable;
}

export interface TestDatabase {
  name: "sqlite" | "postgres";
  /** A database URL private to this test; open() migrates it. */
  url: string;
  open(): Promise<OpenDatabase>;
  /** Drops what the test created. */
  cleanup(): Promise<void>;
}

/** A fresh, empty database: a temp SQLite file, or a private PostgreSQL database. */
export async function freshDatabase(name: "sqlite" | "postgres"): Promise<TestDatabase> {
  if (name === "sqlite") {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "axon-test-"));
    const url = `sqlite:${join(dir, "axon.db")}`;
    return { name, url, open: () => openDatabase(url), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  // A database of its own, not a schema: PostgreSQL catalog queries (Kysely's introspection) see
  // every schema in a database, and fail when another test process drops one meanwhile.
  const database = `axon_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`create database ${database}`);
  const u = new URL(PG_URL);
  u.pathname = `/${database}`;
  const url = u.toString();
  return { name, url, open: () => openDatabase(url), cleanup: () => adminQuery(`drop database ${database} with (force)`) };
}

/** A fresh schema inside the shared test database (for tests about several Axon schemas in one database). */
export async function freshPostgresSchema(): Promise<TestDatabase> {
  const schema = `axon_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`create schema ${schema}`);
  const u = new URL(PG_URL);
  u.searchParams.set("options", `-c search_path=${schema}`);
  const url = u.toString();
  return { name: "postgres", url, open: () => openDatabase(url), cleanup: () => adminQuery(`drop schema ${schema} cascade`) };
}

async function adminQuery(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/**
 * The databases every store test runs on: SQLite always, PostgreSQL when reachable.
 * When PostgreSQL is not reachable the skip reason is printed, never hidden.
 */
export async function testDatabases(): Promise<{ name: "sqlite" | "postgres"; skip: string | false }[]> {
  const why = await postgresUnavailable();
  if (why) console.log(`# skipping PostgreSQL store tests: ${why}`);
  return [
    { name: "sqlite", skip: false },
    { name: "postgres", skip: why ?? false },
  ];
}
