import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The one repository contract over two engines: SQLite (better-sqlite3, the default for one
 * kitchen) and PostgreSQL (node-postgres, for several instances on one database).
 *
 * Repositories write their SQL once, in the subset both engines speak: `@name` or `?` parameters,
 * camelCase aliases in double quotes, `RETURNING`, `ON CONFLICT … DO …`, ISO-8601 text times.
 * Where the engines differ, `pick({ sqlite, postgres })` chooses the statement.
 *
 * Transactions are ambient: every query made inside `transaction(fn)` — by any repository, in any
 * async step of `fn` — runs in it, and a transaction started inside another joins it. So a status
 * change and the text about it commit together without passing a handle through every call.
 */
export type Engine = 'sqlite' | 'postgres';

/** Positional (`?`) or named (`@name`) parameters. */
export type Params = readonly unknown[] | Readonly<Record<string, unknown>>;

export type RunResult = { changes: number };

export interface Database {
  readonly engine: Engine;
  /** Every row the query returns. */
  all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  /** The first row, or undefined. */
  get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined>;
  /** The first column of the first row, or undefined when there is no row. */
  value<T = unknown>(sql: string, params?: Params): Promise<T | undefined>;
  /**
   * A write; how many rows it changed. `waitForDisk: false` commits without waiting for the disk,
   * for writes whose loss in a power cut costs nothing but a repeat (a session's idle timer) or a
   * look-up (a send MessageBird took, whose claim did wait).
   */
  run(sql: string, params?: Params, options?: { waitForDisk?: boolean }): Promise<RunResult>;
  /**
   * Runs `fn` in one write transaction, committed when it resolves and rolled back when it throws.
   * SQLite: BEGIN IMMEDIATE, so a read-then-write never races another writer (one writer at a
   * time, in this process and every other). PostgreSQL: READ COMMITTED, where a read-then-write
   * names what it must not share with `lock(key)` or reads with FOR UPDATE.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: waits until no other transaction holds `key`, and holds it until this
   * one ends (pg_advisory_xact_lock). On SQLite, where transactions already run one at a time, it
   * does nothing.
   */
  lock(key: string): Promise<void>;
  /** True inside `transaction(fn)`. */
  readonly inTransaction: boolean;
  /** The statement for this engine. */
  pick<T>(choices: Record<Engine, T>): T;
  /** Closes every connection; closing again does nothing more (and waits for the first close). */
  close(): Promise<void>;
}

/** The open transaction of each database, carried through the async steps of its function. */
export type TransactionScope<Tx> = AsyncLocalStorage<{ owner: object; tx: Tx }>;

export function createTransactionScope<Tx>(): TransactionScope<Tx> {
  return new AsyncLocalStorage();
}

/** Where a database lives: a SQLite file (or ':memory:'), or a PostgreSQL server. */
export type DatabaseLocation = { path: string; url?: undefined } | { url: string; path?: undefined };

/** Opens the database and brings its schema up to date (migrations run under a lock). */
export async function openDatabase(location: DatabaseLocation, options: { poolSize?: number } = {}): Promise<Database> {
  if (location.url !== undefined) {
    const { openPostgres } = await import('./postgres.ts');
    return openPostgres(location.url, options);
  }
  const { openSqlite } = await import('./sqlite.ts');
  return openSqlite(location.path);
}

/** Brings the database's schema up to date, as opening it does, and closes it: the migrations it applied. */
export async function migrateDatabase(location: DatabaseLocation): Promise<string[]> {
  if (location.url !== undefined) {
    const { migratePostgres } = await import('./postgres.ts');
    return migratePostgres(location.url);
  }
  const { migrateSqlite } = await import('./sqlite.ts');
  return migrateSqlite(location.path);
}
