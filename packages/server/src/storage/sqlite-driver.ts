import type BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type QueryResult } from "kysely";

const STATEMENT_CACHE_MAX = 500;

/**
 * Kysely's SQLite dialect with a driver that reuses prepared statements: Kysely's own driver
 * prepares every query again, which the server's profile showed on every presence write and read.
 */
export class CachingSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: BetterSqlite3.Database) {
    super({ database: sqlite });
  }

  override createDriver(): Driver {
    return new CachingSqliteDriver(this.sqlite);
  }
}

class CachingSqliteDriver implements Driver {
  private readonly connection: CachingConnection;
  private lock: Promise<void> | null = null;
  private unlock: (() => void) | null = null;

  constructor(private readonly sqlite: BetterSqlite3.Database) {
    this.connection = new CachingConnection(sqlite);
  }

  async init(): Promise<void> {}

  /** SQLite has one connection: a lease waits until the previous one is released. */
  async acquireConnection(): Promise<DatabaseConnection> {
    while (this.lock) await this.lock;
    this.lock = new Promise((resolve) => (this.unlock = resolve));
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin"));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  async releaseConnection(): Promise<void> {
    const unlock = this.unlock;
    this.lock = null;
    this.unlock = null;
    unlock?.();
  }

  async destroy(): Promise<void> {
    this.sqlite.close();
  }
}

class CachingConnection implements DatabaseConnection {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly sqlite: BetterSqlite3.Database) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.prepare(query.sql);
    const params = query.parameters as unknown[];
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(params) as R[] });
    const { changes, lastInsertRowid } = stmt.run(params);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("Streaming queries are not supported on SQLite here.");
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (stmt) return stmt;
    stmt = this.sqlite.prepare(sql);
    // Queries with many placeholders (IN lists) vary: keep the cache bounded.
    if (this.statements.size >= STATEMENT_CACHE_MAX) this.statements.clear();
    this.statements.set(sql, stmt);
    return stmt;
  }
}
