import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { migrate as migratePostgres } from '../src/db/postgres.ts';
import type { PostgresDatabase } from '../src/db/postgres.ts';
import { migrate as migrateSqlite } from '../src/db/sqlite.ts';
import type { SqliteDatabase } from '../src/db/sqlite.ts';
import { createTestLocation, describeEngines, describePostgres, openTestDatabase } from './support/engines.ts';
import { orderStatuses } from '../src/orders/order-status.ts';

/** A promise and the function that resolves it: one step of a test waits for another. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => { resolve = done; });
  return { promise, resolve };
}

const settings = (db: Database) => db.all('SELECT key, value FROM app_settings ORDER BY key');

describeEngines('Database', (engine) => {
  describe('parameters', () => {
    it('binds ? in order, @name by name, and a name used twice as the same value', async () => {
      const db = await openTestDatabase(engine);
      await db.run('INSERT INTO app_settings (key, value) VALUES (?, ?)', ['a', 'first']);
      await db.run('INSERT INTO app_settings (key, value) VALUES (@key, @key || @suffix || @key)', { key: 'b', suffix: '-' });
      expect(await settings(db)).toEqual([{ key: 'a', value: 'first' }, { key: 'b', value: 'b-b' }]);
    });

    it('leaves ? and @ inside strings, quoted names and comments alone', async () => {
      const db = await openTestDatabase(engine);
      await db.run(`INSERT INTO app_settings (key, value) -- who? @nobody
        VALUES (@key, 'what? @home ''quoted?''')`, { key: 'c' });
      expect(await db.get('SELECT value AS "why? @this" FROM app_settings WHERE key = ?', ['c'])).toEqual({ 'why? @this': "what? @home 'quoted?'" });
    });

    it('refuses a statement whose named parameter is missing', async () => {
      const db = await openTestDatabase(engine);
      await expect(db.run('INSERT INTO app_settings (key, value) VALUES (@key, @value)', { key: 'a' })).rejects.toThrow(/missing named parameter/i);
      expect(await settings(db)).toEqual([]);
    });
  });

  describe('results', () => {
    it('get: the first row or undefined; value: its first column, undefined without a row; all: every row', async () => {
      const db = await openTestDatabase(engine);
      await db.run("INSERT INTO app_settings (key, value) VALUES ('a', '1'), ('b', '2')");
      expect(await db.get('SELECT key, value FROM app_settings ORDER BY key')).toEqual({ key: 'a', value: '1' });
      expect(await db.get("SELECT key FROM app_settings WHERE key = 'z'")).toBeUndefined();
      expect(await db.value("SELECT value FROM app_settings WHERE key = 'b'")).toBe('2');
      expect(await db.value("SELECT value FROM app_settings WHERE key = 'z'")).toBeUndefined();
      expect(await db.value("SELECT max(value) FROM app_settings WHERE key = 'z'")).toBeNull();
      expect(await db.all("SELECT key FROM app_settings WHERE key > 'a'")).toEqual([{ key: 'b' }]);
      expect(await db.all("SELECT key FROM app_settings WHERE key = 'z'")).toEqual([]);
    });

    it('run: how many rows changed', async () => {
      const db = await openTestDatabase(engine);
      expect(await db.run("INSERT INTO app_settings (key, value) VALUES ('a', '1'), ('b', '2'), ('c', '3')")).toEqual({ changes: 3 });
      expect(await db.run("UPDATE app_settings SET value = 'x' WHERE key <> 'c'")).toEqual({ changes: 2 });
      expect(await db.run("DELETE FROM app_settings WHERE key = 'z'")).toEqual({ changes: 0 });
      expect(await db.run("INSERT INTO app_settings (key, value) VALUES ('a', '9') ON CONFLICT DO NOTHING")).toEqual({ changes: 0 });
    });

    it('gives ids, counts, sums and whole-number columns as numbers', async () => {
      const db = await openTestDatabase(engine);
      const first = await db.value(`INSERT INTO login_failures (scope, key, failed_at) VALUES ('account', 'chef', 1795000000000) RETURNING id`);
      const second = await db.value(`INSERT INTO login_failures (scope, key, failed_at) VALUES ('account', 'chef', 1795000000001) RETURNING id`);
      expect([first, second]).toEqual([1, 2]);
      expect(await db.get(`SELECT count(*) AS "count", sum(failed_at) AS "sum", max(id) AS "max", min(failed_at) AS "oldest"
        FROM login_failures`)).toEqual({ count: 2, sum: 3590000000001, max: 2, oldest: 1795000000000 });
      expect(await db.value('SELECT count(*) FROM orders')).toBe(0);
      expect(await db.value("SELECT text_customer FROM status_text_defaults WHERE status = 'confirmed'")).toBe(1);
    });
  });

  describe('transactions', () => {
    it('commits what the function wrote when it resolves, and returns its value', async () => {
      const db = await openTestDatabase(engine);
      const result = await db.transaction(async () => {
        expect(db.inTransaction).toBe(true);
        await db.run("INSERT INTO app_settings (key, value) VALUES ('a', '1')");
        await db.run("INSERT INTO app_settings (key, value) VALUES ('b', '2')");
        return 'done';
      });
      expect(result).toBe('done');
      expect(db.inTransaction).toBe(false);
      expect(await settings(db)).toEqual([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    });

    it('rolls back everything when the function throws, and throws its error', async () => {
      const db = await openTestDatabase(engine);
      const failure = new Error('the kitchen caught fire');
      await expect(db.transaction(async () => {
        await db.run("INSERT INTO app_settings (key, value) VALUES ('a', '1')");
        throw failure;
      })).rejects.toBe(failure);
      expect(await settings(db)).toEqual([]);
    });

    it('rolls back when a statement fails, and the database goes on working', async () => {
      const db = await openTestDatabase(engine);
      await expect(db.transaction(async () => {
        await db.run("INSERT INTO app_settings (key, value) VALUES ('a', '1')");
        await db.run("INSERT INTO app_settings (key, value) VALUES ('a', '2')");
      })).rejects.toThrow(/unique/i);
      await db.transaction(() => db.run("INSERT INTO app_settings (key, value) VALUES ('b', '1')"));
      expect(await settings(db)).toEqual([{ key: 'b', value: '1' }]);
    });

    it('joins a transaction started inside another: the inner one commits or rolls back with the outer', async () => {
      const db = await openTestDatabase(engine);
      await expect(db.transaction(async () => {
        await db.run("INSERT INTO app_settings (key, value) VALUES ('outer', '1')");
        const inner = await db.transaction(async () => {
          await db.run("INSERT INTO app_settings (key, value) VALUES ('inner', '1')");
          return db.value('SELECT count(*) FROM app_settings');
        });
        expect(inner).toBe(2);
        throw new Error('changed my mind');
      })).rejects.toThrow('changed my mind');
      expect(await settings(db)).toEqual([]);
    });

    it('keeps its uncommitted writes from a query made outside it', async () => {
      const db = await openTestDatabase(engine);
      const written = signal();
      const finish = signal();
      const transaction = db.transaction(async () => {
        await db.run("INSERT INTO app_settings (key, value) VALUES ('a', '1')");
        written.resolve();
        await finish.promise;
        throw new Error('rolled back');
      });
      await written.promise;
      // Made here, outside the transaction's function, while it is open.
      const outside = db.value('SELECT count(*) FROM app_settings');
      finish.resolve();
      await expect(transaction).rejects.toThrow('rolled back');
      expect(await outside).toBe(0);
    });

    it('refuses lock() outside a transaction', async () => {
      const db = await openTestDatabase(engine);
      await expect(db.lock('order:1')).rejects.toThrow(/inside a transaction/);
    });
  });

  it('closes once: a second close() resolves too, and the database answers no more', async () => {
    const db = await openTestDatabase(engine);
    await db.close();
    await expect(db.close()).resolves.toBeUndefined();
    await expect(db.value('SELECT 1')).rejects.toThrow();
  });

  describe('migrations', () => {
    it('migrates a fresh database once when two instances open it at the same moment', async () => {
      const place = await createTestLocation(engine);
      const [first, second] = await Promise.all([place.open(), place.open()]);
      const files = await first.all<{ name: string; count: number }>('SELECT name, count(*) AS "count" FROM schema_migrations GROUP BY name');
      expect(files.length).toBeGreaterThan(0);
      expect(files.every((file) => file.count === 1)).toBe(true);
      expect(await second.value('SELECT count(*) FROM status_text_defaults')).toBe(orderStatuses.length);
    });

    describe('a migration that fails', () => {
      const folders: string[] = [];
      afterEach(() => {
        for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
      });

      it('is rolled back whole, recorded as not applied, and named in the error; the ones before it stay', async () => {
        const db = await openTestDatabase(engine);
        const folder = mkdtempSync(join(tmpdir(), 'order-desk-migrations-'));
        folders.push(folder);
        writeFileSync(join(folder, '900-works.sql'), 'CREATE TABLE trial_works (id INTEGER);');
        writeFileSync(join(folder, '901-breaks.sql'), 'CREATE TABLE trial_breaks (id INTEGER);\nINSERT INTO no_such_table VALUES (1);');
        writeFileSync(join(folder, '902-never.sql'), 'CREATE TABLE trial_never (id INTEGER);');
        const run = db.engine === 'sqlite'
          ? async () => migrateSqlite((db as SqliteDatabase).sqlite, folder)
          : () => migratePostgres((db as PostgresDatabase).pool, folder);
        await expect(run()).rejects.toThrow(/^Migration 901-breaks\.sql failed: .*no_such_table/);
        expect(await db.all("SELECT name FROM schema_migrations WHERE name LIKE '90%'")).toEqual([{ name: '900-works.sql' }]);
        expect(await db.value('SELECT count(*) FROM trial_works')).toBe(0);
        await expect(db.value('SELECT count(*) FROM trial_breaks')).rejects.toThrow(/trial_breaks/);
        await expect(db.value('SELECT count(*) FROM trial_never')).rejects.toThrow(/trial_never/);
      });
    });
  });
});

describe('Database on SQLite', () => {
  it('runs a query from outside an open transaction after the transaction ends', async () => {
    const db = await openTestDatabase({ name: 'sqlite' });
    const written = signal();
    const finish = signal();
    const transaction = db.transaction(async () => {
      await db.run("INSERT INTO app_settings (key, value) VALUES ('a', '1')");
      written.resolve();
      await finish.promise;
      await db.run("INSERT INTO app_settings (key, value) VALUES ('b', '2')");
    });
    await written.promise;
    // Started before the second insert: it sees both, so it ran after the commit.
    const outside = db.value('SELECT count(*) FROM app_settings');
    finish.resolve();
    await transaction;
    expect(await outside).toBe(2);
  });
});

describePostgres('Database on PostgreSQL, two pools on one database', (engine) => {
  /** Whether a transaction is waiting for the advisory lock of `key` (pg_advisory_xact_lock(hashtextextended(key, 0))). */
  const waitingFor = (db: Database, key: string) => db.value<number>(`SELECT count(*) FROM pg_locks
    WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
      AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(@key, 0)`, { key });

  async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('lock(key) makes a transaction of another pool wait until the one holding the key ends', async () => {
    const place = await createTestLocation(engine);
    const [first, second] = await Promise.all([place.open(), place.open()]);
    const events: string[] = [];
    const locked = signal();
    const finish = signal();
    const holder = first.transaction(async () => {
      await first.lock('order:1');
      locked.resolve();
      await finish.promise;
      events.push('first ends');
    });
    await locked.promise;
    const waiter = second.transaction(async () => {
      await second.lock('order:1');
      events.push('second holds the key');
    });
    try {
      await until(async () => (await waitingFor(first, 'order:1')) === 1, 'the second transaction waits for the key');
      // Another key is free meanwhile.
      await second.transaction(() => second.lock('order:2'));
      events.push('second waits');
    } finally {
      finish.resolve();
    }
    await Promise.all([holder, waiter]);
    expect(events).toEqual(['second waits', 'first ends', 'second holds the key']);
  });

  it('loses no update when 20 read-then-write increments from two pools run at once under one key', async () => {
    const place = await createTestLocation(engine);
    const pools = await Promise.all([place.open({ poolSize: 10 }), place.open({ poolSize: 10 })]);
    await pools[0]!.run("INSERT INTO app_settings (key, value) VALUES ('counter', '0')");
    await Promise.all(Array.from({ length: 20 }, (_, index) => {
      const db = pools[index % 2]!;
      return db.transaction(async () => {
        await db.lock('settings');
        const value = Number(await db.value("SELECT value FROM app_settings WHERE key = 'counter'"));
        await db.run("UPDATE app_settings SET value = ? WHERE key = 'counter'", [String(value + 1)]);
      });
    }));
    expect(await pools[1]!.value("SELECT value FROM app_settings WHERE key = 'counter'")).toBe('20');
  });
});
