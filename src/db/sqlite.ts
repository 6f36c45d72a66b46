import BetterSqlite3 from 'better-sqlite3';
import { close as closeFile, fdatasync, mkdirSync, open as openFile, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { messageStates } from '../notifications/message-states.ts';
import { createTransactionScope } from './database.ts';
import type { Database, Engine, Params, RunResult } from './database.ts';

export type SqliteDatabase = Database & {
  readonly engine: 'sqlite';
  /** The better-sqlite3 connection, for SQLite-only tools and tests (EXPLAIN QUERY PLAN, pragmas). */
  readonly sqlite: BetterSqlite3.Database;
};

const migrationsDir = join(import.meta.dirname, 'migrations');

export type SqliteOptions = {
  /**
   * Flushes an open file to the disk: fs.fdatasync (as SQLite itself flushes on Linux: the data and
   * the size, not the times) unless a test holds or fails it.
   */
  fsync?: (fd: number) => Promise<void>;
};

/**
 * The one place a SQLite database is opened. Orders and messages must survive a power cut, so a
 * write resolves only once it is on the disk (see wrapSqlite: the flush runs off the event loop,
 * shared by the writes committed meanwhile).
 */
export function openSqlite(path: string, options: SqliteOptions = {}): SqliteDatabase {
  const connection = connect(path);
  try {
    migrate(connection);
    syncMessageStates(connection);
  } catch (error) {
    connection.close();
    throw error;
  }
  return wrapSqlite(connection, options);
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
  // Every commit waits for the disk — https://www.sqlite.org/pragma.html#pragma_synchronous — here,
  // for migrations and tools; wrapSqlite moves that wait off the event loop.
  connection.pragma('synchronous = FULL');
  connection.pragma('foreign_keys = ON');
  return connection;
}

/**
 * Group commit for a database in WAL mode. better-sqlite3 runs every statement on the event loop, so
 * with synchronous = FULL each commit stopped the whole process while the disk flushed the log: a
 * slow disk froze every screen, and commits never shared a flush. Here SQLite commits with
 * synchronous = NORMAL (its writes reach the log file, in order, without waiting for the disk) and
 * the write's promise resolves once a flush of the log file, run on libuv's thread pool, has returned:
 * the same guarantee, in the same order, since one flush of the log covers every commit written to
 * it before — another process's too. Commits made while a flush is under way share the next one.
 * Until its flush returns, a commit is visible but not yet reported done: a power cut at that moment
 * loses it, and nobody was told it was saved. A failed flush fails its writes and every write after
 * it: the disk may have lost what it was given (https://wiki.postgresql.org/wiki/Fsync_Errors).
 */
function createLogFlusher(logPath: string, fsync: (fd: number) => Promise<void>) {
  const open = promisify(openFile);
  let fd: number | undefined;
  let broken: Error | undefined;
  let current: Promise<void> | undefined;
  let next: Promise<void> | undefined;

  async function flushOnce(): Promise<void> {
    if (fd === undefined) {
      const opened = await open(logPath, 'r+');
      // The log's entry in its folder too, once: a log file created since the last flush of the
      // folder must still be there after a power cut.
      if (process.platform !== 'win32') {
        const folder = await open(dirname(logPath), 'r');
        try {
          await fsync(folder);
        } finally {
          closeFile(folder, () => {});
        }
      }
      fd = opened;
    }
    await fsync(fd);
  }

  function start(): Promise<void> {
    const flush: Promise<void> = flushOnce()
      .catch((error: unknown) => {
        broken ??= new Error(`Could not flush the database log to the disk: ${(error as Error).message}`, { cause: error });
        throw broken;
      })
      .finally(() => {
        if (current === flush) current = undefined;
      });
    current = flush;
    return flush;
  }

  // A flush starts at the end of the event loop's turn, so the commits made in the same turn (the
  // outcome of one send and the claim of the next) share it.
  let scheduled: Promise<void> | undefined;
  function startSoon(): Promise<void> {
    scheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      scheduled = undefined;
      return start();
    });
    return scheduled;
  }

  return {
    /** Resolves once everything committed before the call is on the disk. */
    flushed(): Promise<void> {
      if (broken) return Promise.reject(broken);
      if (!current) return startSoon();
      // The flush under way may have started before this commit: wait for the one after it.
      next ??= current.catch(() => {}).then(() => {
        next = undefined;
        return broken ? Promise.reject(broken) : start();
      });
      return next;
    },
    async close(): Promise<void> {
      await Promise.allSettled([scheduled, current, next]);
      if (fd !== undefined) closeFile(fd, () => {});
      fd = undefined;
    },
  };
}

type Gate = { file: string; busy: Promise<void> | undefined; users: number };
const gates = new Map<string, Gate>();

/**
 * The open transaction that queries wait for, shared by every connection this process has to one
 * file (several instances in one test process). A second connection's BEGIN IMMEDIATE while another
 * holds the write lock would wait in busy_timeout on this very thread, and the holder could never
 * finish: after a shared flush both resume in the same turn of the event loop.
 */
function gateFor(connection: BetterSqlite3.Database): Gate {
  if (connection.memory) return { file: '', busy: undefined, users: 1 };
  const file = resolve(connection.name);
  const gate = gates.get(file) ?? { file, busy: undefined, users: 0 };
  gate.users += 1;
  gates.set(file, gate);
  return gate;
}

/**
 * better-sqlite3 runs each statement synchronously; this gives it the async contract. One
 * connection serves the whole process, so while one async transaction is open every query from
 * outside it waits its turn (queries inside it run at once): nothing another request writes can
 * slip into — or be rolled back with — someone else's transaction. A write resolves once it is on
 * the disk (createLogFlusher); only one asked with `waitForDisk: false` resolves at its commit.
 */
export function wrapSqlite(connection: BetterSqlite3.Database, options: SqliteOptions = {}): SqliteDatabase {
  // A database in memory has nothing to flush; one not in WAL mode keeps SQLite's own flush (FULL).
  const inWal = !connection.memory && connection.pragma('journal_mode', { simple: true }) === 'wal';
  const log = inWal ? createLogFlusher(`${resolve(connection.name)}-wal`, options.fsync ?? promisify(fdatasync)) : undefined;
  if (log) connection.pragma('synchronous = NORMAL');
  /**
   * After a statement that changed something outside a transaction: the flush to wait for before
   * the caller hears of it. No promise otherwise, so statements inside a transaction (and reads)
   * take no extra turn of the event loop.
   */
  const flushAfter = (statement: BetterSqlite3.Statement, changed: boolean): Promise<void> | undefined =>
    (log && changed && !statement.readonly && !connection.inTransaction ? log.flushed() : undefined);
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
  const gate = gateFor(connection);
  const inTransaction = () => scope.getStore()?.owner === self;
  // Queries outside the open transaction wait for it; inside it (or with none open) they run now.
  // Each caller checks again in the same turn in which it then runs or opens its own transaction:
  // an `await` between the check and the statement would let another transaction in.
  const mustWait = () => gate.busy !== undefined && !inTransaction();

  const database: SqliteDatabase = {
    engine: 'sqlite',
    sqlite: connection,
    // A claim is an UPDATE … RETURNING read through all(): it waits for the disk like any write.
    // Such a statement returns exactly the rows it changed: none, and there is nothing to flush.
    async all<T>(sql: string, params?: Params) {
      while (mustWait()) await gate.busy;
      const statement = prepare(sql);
      const rows = statement.all(...bind(params)) as T[];
      const flush = flushAfter(statement, rows.length > 0);
      if (flush) await flush;
      return rows;
    },
    async get<T>(sql: string, params?: Params) {
      while (mustWait()) await gate.busy;
      const statement = prepare(sql);
      const row = statement.get(...bind(params)) as T | undefined;
      const flush = flushAfter(statement, row !== undefined);
      if (flush) await flush;
      return row;
    },
    async value<T>(sql: string, params?: Params) {
      while (mustWait()) await gate.busy;
      const statement = prepare(sql, true);
      const row = statement.get(...bind(params)) as unknown[] | undefined;
      const flush = flushAfter(statement, row !== undefined);
      if (flush) await flush;
      return row?.[0] as T | undefined;
    },
    async run(sql: string, params?: Params, options?: { waitForDisk?: boolean }): Promise<RunResult> {
      while (mustWait()) await gate.busy;
      const statement = prepare(sql);
      const { changes } = statement.run(...bind(params));
      const flush = options?.waitForDisk === false ? undefined : flushAfter(statement, changes > 0);
      if (flush) await flush;
      return { changes };
    },
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      if (inTransaction()) return fn();
      while (mustWait()) await gate.busy;
      let release!: () => void;
      gate.busy = new Promise((resolve) => { release = resolve; });
      let result: T;
      try {
        // IMMEDIATE takes the write lock first, so a second process waits (busy_timeout) instead
        // of failing with SQLITE_BUSY when it tries to write after reading.
        // https://www.sqlite.org/lang_transaction.html#deferred_immediate_and_exclusive_transactions
        connection.exec('BEGIN IMMEDIATE');
        try {
          result = await scope.run({ owner: self, tx: true }, fn);
          connection.exec('COMMIT');
        } catch (error) {
          if (connection.inTransaction) connection.exec('ROLLBACK');
          throw error;
        }
      } finally {
        gate.busy = undefined;
        release();
      }
      // The next transaction may start meanwhile: its commit shares this flush or the next.
      if (log) await log.flushed();
      return result;
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
      if (!connection.open) return;
      await log?.close();
      if (!connection.open) return;
      gate.users -= 1;
      if (gate.users === 0) gates.delete(gate.file);
      connection.close();
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

const foreignKeysOffMarker = '-- migrate: foreign keys off\n';

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
    // A file that rebuilds a table others refer to starts with this marker: foreign keys go off
    // around it (the pragma does nothing inside a transaction) and are checked before it commits,
    // as SQLite's procedure for such changes says.
    const withoutForeignKeys = sql.startsWith(foreignKeysOffMarker);
    const foreignKeysWere = connection.pragma('foreign_keys', { simple: true }) as number;
    if (withoutForeignKeys) connection.pragma('foreign_keys = OFF');
    // Checked again under the write lock: a second process starting at the same time may have
    // applied it a moment ago.
    try {
      connection.transaction(() => {
        if (isApplied.get(file)) return;
        connection.exec(sql);
        if (withoutForeignKeys) {
          const broken = connection.pragma('foreign_key_check') as Array<{ table: string; parent: string }>;
          if (broken.length > 0) throw new Error(`${broken.length} rows of ${broken[0]!.table} would lose their ${broken[0]!.parent} row`);
        }
        record.run(file, new Date().toISOString());
      }).immediate();
    } catch (error) {
      throw new Error(`Migration ${file} failed: ${(error as Error).message}`, { cause: error });
    } finally {
      if (withoutForeignKeys) connection.pragma(`foreign_keys = ${foreignKeysWere ? 'ON' : 'OFF'}`);
    }
  }
  return pending;
}
