import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { messageStates } from '../notifications/message-states.ts';
import { createTransactionScope } from './database.ts';
import type { Database, Engine, Params, RunResult } from './database.ts';
import { toNumberedParameters } from './placeholders.ts';

export type PostgresDatabase = Database & {
  readonly engine: 'postgres';
  readonly pool: pg.Pool;
  /**
   * Calls `onMessage` with each NOTIFY payload on `channel`, on a connection of its own that
   * reconnects when lost (calling `onReconnect`, as notifications may have been missed meanwhile).
   * Returns a function that stops listening.
   */
  listen(channel: string, onMessage: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /** Sends `payload` to every listener of `channel`, in every instance; inside a transaction, at its commit. */
  notify(channel: string, payload: string): Promise<void>;
};

const migrationsDir = join(import.meta.dirname, 'migrations-postgres');

// Whole numbers come back as numbers, as they do from SQLite: ids and counts stay far below 2^53.
// count(*) and sum() are bigint (int8), avg() is numeric. Per pool, not pg's global parsers.
const int8 = 20;
const numeric = 1700;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === int8 || oid === numeric) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

// Errors after which running the whole transaction again is safe: it was rolled back.
const retryable = new Set(['40001', '40P01']);

// A fixed key for the migration lock, with the schema's as the second: instances starting at the
// same moment on one schema take turns, while other schemas (one per test) migrate side by side.
const migrationLockKey = 7_204_115;
const migrationLock = "SELECT pg_advisory_lock($1, hashtext(coalesce(current_schema(), '')))";
const migrationUnlock = "SELECT pg_advisory_unlock($1, hashtext(coalesce(current_schema(), '')))";

export type PostgresOptions = {
  /** Connections per instance. */
  poolSize?: number;
  /** A schema to create and use (tests use one each); the server's default search_path otherwise. */
  schema?: string;
};

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<PostgresDatabase> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new TypeError(`Not a schema name: ${schema}`);
  const connection = { connectionString: url, types, ...(schema ? { options: `-c search_path=${schema}` } : {}) };
  if (schema) {
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({ ...connection, max: options.poolSize ?? 10 });
  // An idle connection that the server dropped must not take the process down.
  pool.on('error', () => {});
  try {
    await migrate(pool);
    await syncMessageStates(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return wrapPool(pool, connection);
}

/** Brings the database's schema up to date and disconnects; returns the migrations it applied. */
export async function migratePostgres(url: string): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: url, types, max: 1 });
  pool.on('error', () => {});
  try {
    const applied = await migrate(pool);
    await syncMessageStates(pool);
    return applied;
  } finally {
    await pool.end();
  }
}

function wrapPool(pool: pg.Pool, connection: pg.ClientConfig): PostgresDatabase {
  const scope = createTransactionScope<pg.PoolClient>();
  const self = {};
  let closing: Promise<void> | undefined;
  const current = () => {
    const store = scope.getStore();
    return store?.owner === self ? store.tx : undefined;
  };
  const query = async (sql: string, params: Params | undefined) => {
    const { text, values } = toNumberedParameters(sql, params);
    const queryable = current() ?? pool;
    return queryable.query({ text, values });
  };
  const listeners: pg.Client[] = [];

  const database: PostgresDatabase = {
    engine: 'postgres',
    pool,
    async all<T>(sql: string, params?: Params) {
      return (await query(sql, params)).rows as T[];
    },
    async get<T>(sql: string, params?: Params) {
      return (await query(sql, params)).rows[0] as T | undefined;
    },
    async value<T>(sql: string, params?: Params) {
      const result = await query(sql, params);
      const row = result.rows[0] as Record<string, unknown> | undefined;
      const first = result.fields[0];
      return (row && first ? row[first.name] : undefined) as T | undefined;
    },
    async run(sql: string, params?: Params): Promise<RunResult> {
      // Every commit here waits for the server's disk (synchronous_commit stays on); the relaxed
      // write that SQLite offers is not worth a round trip of its own on PostgreSQL.
      return { changes: (await query(sql, params)).rowCount ?? 0 };
    },
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      if (current()) return fn();
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          await client.query('BEGIN');
          try {
            const result = await scope.run({ owner: self, tx: client }, fn);
            await client.query('COMMIT');
            return result;
          } catch (error) {
            await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError; });
            const code = (error as { code?: string }).code;
            if (attempt < 3 && code !== undefined && retryable.has(code)) continue;
            throw error;
          }
        } finally {
          client.release(broken);
        }
      }
    },
    async lock(key: string) {
      const client = current();
      if (!client) throw new Error('lock() is only for use inside a transaction');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
    },
    get inTransaction() {
      return current() !== undefined;
    },
    pick<T>(choices: Record<Engine, T>): T {
      return choices.postgres;
    },
    async notify(channel: string, payload: string) {
      await query('SELECT pg_notify(@channel, @payload)', { channel, payload });
    },
    async listen(channel: string, onMessage: (payload: string) => void, onReconnect?: () => void) {
      let stopped = false;
      let client: pg.Client | undefined;
      // Failed attempts in a row: the wait before the next doubles from half a second to ten, so a
      // database that is down for a while is not hammered, and one that blipped is back at once.
      let failures = 0;
      const forget = (lost: pg.Client) => {
        const index = listeners.indexOf(lost);
        if (index >= 0) listeners.splice(index, 1);
      };
      const retry = () => {
        if (stopped) return;
        const delay = Math.min(500 * 2 ** failures, 10_000);
        failures++;
        setTimeout(() => {
          if (stopped) return;
          connect().then(() => {
            failures = 0;
            onReconnect?.();
          }, retry);
        }, delay).unref();
      };
      const connect = async (): Promise<void> => {
        const next = new pg.Client(connection);
        next.on('notification', (message) => {
          if (message.channel === channel) onMessage(message.payload ?? '');
        });
        let lost = false;
        next.on('error', () => {
          // Lost (killed, restarted, network): connect again, and say so, for notifications may
          // have been missed meanwhile.
          if (lost) return;
          lost = true;
          forget(next);
          next.end().catch(() => {});
          if (client === next) retry();
        });
        try {
          await next.connect();
          await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        } catch (error) {
          lost = true;
          await next.end().catch(() => {});
          throw error;
        }
        if (stopped) {
          await next.end().catch(() => {});
          return;
        }
        client = next;
        listeners.push(next);
      };
      await connect();
      return async () => {
        stopped = true;
        if (client) forget(client);
        await client?.end().catch(() => {});
      };
    },
    close() {
      // Closing again hands back the first close (as on SQLite): pg's pool.end() throws the second time,
      // and a test or a shutdown path may close a database its owner closes too.
      closing ??= (async () => {
        await Promise.all(listeners.splice(0).map((client) => client.end().catch(() => {})));
        await pool.end();
      })();
      return closing;
    },
  };
  return database;
}

/** The states a message row may take come from the one list in the code. */
async function syncMessageStates(pool: pg.Pool): Promise<void> {
  // One statement, one commit: every instance (and every test's fresh schema) does this at start-up.
  await pool.query('INSERT INTO message_states (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [[...messageStates]]);
}

/**
 * Applies the numbered .sql files in migrations-postgres in order, each in its own transaction,
 * and records them. A session advisory lock makes instances starting together take turns: the
 * second finds the first's migrations recorded and runs none of them again.
 */
export async function migrate(pool: pg.Pool, directory = migrationsDir): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query(migrationLock, [migrationLockKey]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        name TEXT PRIMARY KEY,
        applied_at TEXT NOT NULL
      )`);
      const applied = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((row) => row.name));
      const pending = readdirSync(directory)
        .filter((file) => /^\d+-.+\.sql$/.test(file) && !applied.has(file))
        .sort();
      for (const file of pending) {
        const sql = readFileSync(join(directory, file), 'utf8');
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)', [file, new Date().toISOString()]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`Migration ${file} failed: ${(error as Error).message}`, { cause: error });
        }
      }
      return pending;
    } finally {
      await client.query(migrationUnlock, [migrationLockKey]);
    }
  } finally {
    client.release();
  }
}
