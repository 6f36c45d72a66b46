import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { messageStates } from '../notifications/message-states.ts';
import { createTransactionScope } from './database.ts';
import type { Database, Engine, Params, RunResult } from './database.ts';

export type SqliteDatabase = Database & {
  readonly engine: 'sqlite';
  /** The better-sqlite3 connection, for SQLite-only tools and tests (EXPLAIN QUERY PLAN, pragmas). */
  readonly sqlite: BetterSqlite3.Database;
};

const migrationsDir = join(import.meta.dirname, 'migrations');

/**
 * The one place a SQLite database is opened. Orders and messages must survive a power cut, so
 * commits wait for the disk (synchronous = FULL) — https://www.sqlite.org/pragma.html#pragma_synchronous
 */
export function openSqlite(path: string): SqliteDatabase {
  const connection = connect(path);
  try {
    migrate(connection);
    syncMessageStates(connection);
  } catch (error) {
    connection.close();
    throw error;
  }
  return wrapSqlite(connection);
}

/** Brings the database file's schema up to date and closes it; returns the migrations it applied. */
export function migrateSqlite(path: string): string[] {
  const connection = connect(path);
  try {
    const applied = migrate(connection);
    syncMessageStates(connection);
    return applied;
  } finally {
    connection.close();
  }
}

function connect(path: string): BetterSqlite3.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const connection = new BetterSqlite3(path);
  // First, so even the switch to WAL below waits for another process instead of failing with
  // SQLITE_BUSY: a second writer waits up to 5 s.
  connection.pragma('busy_timeout = 5000');
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = FULL');
  connection.pragma('foreign_keys = ON');
  return connection;
}

/**
 * better-sqlite3 runs each statement synchronously; this gives it the async contract. One
 * connection serves the whole process, so while one async transaction is open every query from
 * outside it waits its turn (queries inside it run at once): nothing another request writes can
 * slip into — or be rolled back with — someone else's transaction.
 */
export function wrapSqlite(connection: BetterSqlite3.Database): SqliteDatabase {
  // Prepared once per SQL text. value() keeps its own, raw statements: raw() changes the statement.
  const statements = new Map<string, BetterSqlite3.Statement>();
  const rawStatements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string, raw = false) => {
    const cache = raw ? rawStatements : statements;
    let statement = cache.get(sql);
    if (!statement) {
      statement = connection.prepare(sql);
      if (raw) statement.raw(true);
      cache.set(sql, statement);
    }
    return statement;
  };
  const bind = (params: Params | undefined): unknown[] => {
    if (params === undefined) return [];
    return Array.isArray(params) ? params : [params];
  };
  const scope = createTransactionScope<true>();
  const self = {};
  let busy: Promise<void> | undefined;
  const inTransaction = () => scope.getStore()?.owner === self;
  // Queries outside the open transaction wait for it; inside it (or with none open) they run now.
  const turn = async () => {
    while (busy && !inTransaction()) await busy;
  };
  const relaxed = { normal: connection.prepare('PRAGMA synchronous = NORMAL'), full: connection.prepare('PRAGMA synchronous = FULL') };

  const database: SqliteDatabase = {
    engine: 'sqlite',
    sqlite: connection,
    async all<T>(sql: string, params?: Params) {
      if (busy) await turn();
      return prepare(sql).all(...bind(params)) as T[];
    },
    async get<T>(sql: string, params?: Params) {
      if (busy) await turn();
      return prepare(sql).get(...bind(params)) as T | undefined;
    },
    async value<T>(sql: string, params?: Params) {
      if (busy) await turn();
      const row = prepare(sql, true).get(...bind(params)) as unknown[] | undefined;
      return row?.[0] as T | undefined;
    },
    async run(sql: string, params?: Params, options?: { waitForDisk?: boolean }): Promise<RunResult> {
      if (busy) await turn();
      const statement = prepare(sql);
      // synchronous = NORMAL for this statement only: in WAL mode the database stays consistent,
      // a power cut may lose this commit; the next FULL commit flushes it too.
      if (options?.waitForDisk === false && !connection.inTransaction) {
        relaxed.normal.run();
        try {
          return { changes: statement.run(...bind(params)).changes };
        } finally {
          relaxed.full.run();
        }
      }
      return { changes: statement.run(...bind(params)).changes };
    },
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      if (inTransaction()) return fn();
      await turn();
      let release!: () => void;
      busy = new Promise((resolve) => { release = resolve; });
      try {
        // IMMEDIATE takes the write lock first, so a second process waits (busy_timeout) instead
        // of failing with SQLITE_BUSY when it tries to write after reading.
        // https://www.sqlite.org/lang_transaction.html#deferred_immediate_and_exclusive_transactions
        connection.exec('BEGIN IMMEDIATE');
        try {
          const result = await scope.run({ owner: self, tx: true }, fn);
          connection.exec('COMMIT');
          return result;
        } catch (error) {
          if (connection.inTransaction) connection.exec('ROLLBACK');
          throw error;
        }
      } finally {
        busy = undefined;
        release();
      }
    },
    async lock() {
      // Transactions here already run one at a time; outside one it is a mistake on either engine.
      if (!inTransaction()) throw new Error('lock() is only for use inside a transaction');
    },
    get inTransaction() {
      return inTransaction();
    },
    pick<T>(choices: Record<Engine, T>): T {
      return choices.sqlite;
    },
    async close() {
      if (connection.open) connection.close();
    },
  };
  return database;
}

/** The states a message row may take come from the one list in the code. */
function syncMessageStates(connection: BetterSqlite3.Database): void {
  const insert = connection.prepare('INSERT OR IGNORE INTO message_states (name) VALUES (?)');
  connection.transaction(() => {
    for (const state of messageStates) insert.run(state);
  }).immediate();
}

/**
 * Applies the numbered .sql files in order, each in its own transaction, and records them. A file
 * that fails is rolled back whole, and the error names it.
 */
export function migrate(connection: BetterSqlite3.Database, directory = migrationsDir): string[] {
  connection.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const applied = new Set(
    connection.prepare('SELECT name FROM schema_migrations').pluck().all() as string[],
  );
  const pending = readdirSync(directory)
    .filter((file) => /^\d+-.+\.sql$/.test(file) && !applied.has(file))
    .sort();
  const record = connection.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  const isApplied = connection.prepare('SELECT 1 FROM schema_migrations WHERE name = ?').pluck();
  for (const file of pending) {
    const sql = readFileSync(join(directory, file), 'utf8');
    // Checked again under the write lock: a second process starting at the same time may have
    // applied it a moment ago.
    try {
      connection.transaction(() => {
        if (isApplied.get(file)) return;
        connection.exec(sql);
        record.run(file, new Date().toISOString());
      }).immediate();
    } catch (error) {
      throw new Error(`Migration ${file} failed: ${(error as Error).message}`, { cause: error });
    }
  }
  return pending;
}
