import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../src/db/sqlite.ts';
import { parseMobileNumber } from '../src/orders/phone-number.ts';
import { createZonedCalendar } from '../src/web/zoned-days.ts';
import { useTempDatabases } from './support/temp-databases.ts';
import { createTestLocation, describePostgres } from './support/engines.ts';

const root = join(import.meta.dirname, '..');
// db:fake runs with the default TIME_ZONE, the machine's own.
const days = createZonedCalendar(Intl.DateTimeFormat().resolvedOptions().timeZone);

async function dbFake(database: string | Record<string, string>, ...args: string[]) {
  const location = typeof database === 'string' ? { DATABASE_PATH: database } : database;
  const child = spawn(process.execPath, ['scripts/db-fake.ts', ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...location } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const [code] = await once(child, 'exit');
  return { code: code as number, output };
}

/** Every order has the kitchen day it was made on, and each day's numbers run 1, 2, 3, … by creation time. */
function expectNumberedByDay(db: Database.Database) {
  const rows = db.prepare('SELECT day, number, created_at AS createdAt FROM orders ORDER BY created_at, rowid').all() as Array<{ day: string; number: number; createdAt: string }>;
  const lastNumbers = new Map<string, number>();
  for (const row of rows) {
    expect(row.day).toBe(days.dayOf(new Date(row.createdAt)));
    expect(row.number).toBe((lastNumbers.get(row.day) ?? 0) + 1);
    lastNumbers.set(row.day, row.number);
  }
}

describe('npm run db:fake', () => {
  const databasePath = useTempDatabases();

  it('creates the database and fills it with orders, status histories and messages over many days, most delivered, a few cancelled', async () => {
    const path = databasePath();
    const { code, output } = await dbFake(path, '--orders', '600', '--days', '20', '--active', '8');
    expect(code, output).toBe(0);

    const db = new Database(path, { readonly: true });
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    expect(count('SELECT count(*) FROM orders')).toBe(600);
    expect(count("SELECT count(*) FROM orders WHERE status NOT IN ('delivered', 'cancelled')")).toBe(8);
    // About one in fifty is cancelled (600 orders: none at all would happen about once in 150,000 runs).
    expect(count("SELECT count(*) FROM orders WHERE status = 'cancelled'")).toBeGreaterThan(0);
    expect(count("SELECT count(*) FROM orders WHERE status = 'cancelled'")).toBeLessThan(60);
    expect(count("SELECT count(*) FROM orders WHERE status = 'cancelled' AND delivered_at IS NOT NULL")).toBe(0);
    expect(count("SELECT count(DISTINCT substr(created_at, 1, 10)) FROM orders")).toBeGreaterThan(10);
    expect(count('SELECT count(*) FROM orders WHERE id NOT IN (SELECT order_id FROM order_status_changes)')).toBe(0);
    expect(count("SELECT count(*) FROM orders WHERE status = 'delivered' AND delivered_at IS NULL")).toBe(0);
    // Most go out to an address, some are picked up (600 orders: both kinds, whatever the draw).
    expect(count('SELECT count(*) FROM orders WHERE delivery_address IS NOT NULL')).toBeGreaterThan(400);
    expect(count('SELECT count(*) FROM orders WHERE delivery_address IS NULL')).toBeGreaterThan(20);
    expect(count('SELECT count(*) FROM messages')).toBeGreaterThan(300);
    // About one in thirty gets a text back (600 orders: none at all about once in 600 million runs),
    // read unless its order is still active.
    expect(count('SELECT count(*) FROM customer_replies')).toBeGreaterThan(0);
    expect(count(`SELECT count(*) FROM customer_replies JOIN orders ON orders.id = customer_replies.order_id
      WHERE (customer_replies.read_at IS NULL) <> (orders.status NOT IN ('delivered', 'cancelled'))`)).toBe(0);
    // Numbers the app itself accepts: a customer's text from one finds its order.
    const phones = db.prepare('SELECT DISTINCT phone FROM orders').pluck().all() as string[];
    expect(phones.filter((phone) => !parseMobileNumber(phone, 'NL').ok)).toEqual([]);
    // Orders as the app makes them: a valid id, and each day's numbers #1, #2, … in the order they came in.
    expect(count("SELECT count(*) FROM orders WHERE length(id) <> 32 OR id GLOB '*[^0-9a-f]*'")).toBe(0);
    expectNumberedByDay(db);
    // History is not news: open boards get no events for it, and the triggers are back.
    expect(count('SELECT count(*) FROM board_events')).toBe(0);
    const boardTriggers = "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'board_events_%'";
    const fresh = openSqlite(':memory:').sqlite;
    expect(count(boardTriggers)).toBe(fresh.prepare(boardTriggers).pluck().get());
    fresh.close();
    db.close();
  });

  it('refuses a database that already holds orders unless --force, and then adds to it', async () => {
    const path = databasePath();
    expect((await dbFake(path, '--orders', '20')).code).toBe(0);

    const refused = await dbFake(path, '--orders', '20');
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('already holds 20 orders; add --force');
    const count = () => { const db = new Database(path, { readonly: true }); const value = db.prepare('SELECT count(*) FROM orders').pluck().get(); db.close(); return value; };
    expect(count()).toBe(20);

    expect((await dbFake(path, '--orders', '20', '--force')).code).toBe(0);
    expect(count()).toBe(40);
    const db = new Database(path, { readonly: true });
    // The added orders continue each day's numbers after those already there.
    expect(db.prepare('SELECT count(*) FROM orders WHERE number IS NULL').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM (SELECT day FROM orders GROUP BY day HAVING max(number) <> count(*))').pluck().get()).toBe(0);
    db.close();
  });

  it('answers a bad number with a message', async () => {
    const { code, output } = await dbFake(databasePath(), '--orders', 'many');
    expect(code).toBe(1);
    expect(output).toContain('--orders must be a whole number');
  });
});

describePostgres('npm run db:fake', (engine) => {
  it('fills a PostgreSQL database as it fills SQLite: numbered days, histories, messages, no board events, triggers back on', async () => {
    const location = await createTestLocation(engine);
    const { code, output } = await dbFake(location.env, '--orders', '600', '--days', '20', '--active', '8');
    expect(code, output).toBe(0);
    expect(output).toContain('Added 600 orders');

    const db = await location.open();
    const count = async (sql: string) => Number(await db.value(sql));
    expect(await count('SELECT count(*) FROM orders')).toBe(600);
    expect(await count("SELECT count(*) FROM orders WHERE status NOT IN ('delivered', 'cancelled')")).toBe(8);
    expect(await count("SELECT count(*) FROM orders WHERE status = 'cancelled' AND delivered_at IS NOT NULL")).toBe(0);
    expect(await count('SELECT count(DISTINCT substr(created_at, 1, 10)) FROM orders')).toBeGreaterThan(10);
    expect(await count('SELECT count(*) FROM orders WHERE delivery_address IS NOT NULL')).toBeGreaterThan(400);
    expect(await count('SELECT count(*) FROM orders WHERE id NOT IN (SELECT order_id FROM order_status_changes)')).toBe(0);
    expect(await count("SELECT count(*) FROM orders WHERE status = 'delivered' AND delivered_at IS NULL")).toBe(0);
    expect(await count('SELECT count(*) FROM messages')).toBeGreaterThan(300);
    expect(await count("SELECT count(*) FROM orders WHERE id !~ '^[0-9a-f]{32}$'")).toBe(0);
    const rows = await db.all<{ day: string; number: number; createdAt: string }>('SELECT day, number, created_at AS "createdAt" FROM orders ORDER BY created_at, rowid');
    const lastNumbers = new Map<string, number>();
    for (const row of rows) {
      expect(row.day).toBe(days.dayOf(new Date(row.createdAt)));
      expect(row.number).toBe((lastNumbers.get(row.day) ?? 0) + 1);
      lastNumbers.set(row.day, row.number);
    }
    expect(await count('SELECT count(*) FROM board_events')).toBe(0);
    // The board's triggers are on again: a change made now is news.
    expect(await count(`SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'
      AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = to_regnamespace('${location.schema!}'))`)).toBe(0);
    // Any order not confirmed now (most are delivered). Picking a pending one failed about half the runs:
    // the 8 active orders are pending only when made in the last few minutes, so often none was.
    await db.run("UPDATE orders SET status = 'confirmed' WHERE id = (SELECT id FROM orders WHERE status <> 'confirmed' LIMIT 1)");
    expect(await count('SELECT count(*) FROM board_events')).toBeGreaterThan(0);
  });

  it('refuses a PostgreSQL database that already holds orders unless --force, and then continues each day\'s numbers', async () => {
    const location = await createTestLocation(engine);
    expect((await dbFake(location.env, '--orders', '20')).code).toBe(0);
    const refused = await dbFake(location.env, '--orders', '20');
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('already holds 20 orders; add --force');
    expect((await dbFake(location.env, '--orders', '20', '--force')).code).toBe(0);
    const db = await location.open();
    expect(Number(await db.value('SELECT count(*) FROM orders'))).toBe(40);
    expect(Number(await db.value('SELECT count(*) FROM (SELECT day FROM orders GROUP BY day HAVING max(number) <> count(*)) AS gaps'))).toBe(0);
  });
});
