import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../src/db/sqlite.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { makeOrder, orderIdFor } from './support/helpers.ts';
import { createTestLocation, describeEngines, openTestDatabase } from './support/engines.ts';
import type { TestLocation } from './support/engines.ts';

const root = join(import.meta.dirname, '..');
/** Node processes creating orders at once on the location's database (its SQLite file, or its PostgreSQL URL). */
async function runProcesses(where: TestLocation, processes: number, perProcess: number, externalIdPrefix?: string) {
  const path = 'url' in where.location ? where.location.url : where.location.path;
  const children = Array.from({ length: processes }, () => {
    const args = ['test/support/create-orders-process.ts', path, String(perProcess), ...(externalIdPrefix ? [externalIdPrefix] : [])];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    return once(child, 'exit').then(([code]) => ({ code, errors, outcomes: code === 0 ? (JSON.parse(output) as string[]) : [] }));
  });
  return Promise.all(children);
}

const newOrder = { customerName: 'Ada', phone: '+31612345678', items: ['1 x Pizza'], note: null, deliveryAddress: null, externalId: null, formToken: null, createdBy: null, apiKeyId: null };

describeEngines('orders with an externalId', (engine) => {
  it('are made once when several processes send the same externalIds at the same time', async () => {
    const location = await createTestLocation(engine);
    const database = await location.open(); // migrated once, before the processes race for it

    const results = await runProcesses(location, 4, 40, 'shop');

    expect(results.filter((result) => result.code !== 0).map((result) => result.errors)).toEqual([]);
    const outcomes = results.flatMap((result) => result.outcomes);
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(40);
    expect(outcomes.filter((outcome) => outcome === 'same')).toHaveLength(120);
    expect(Number(await database.value('SELECT count(*) FROM orders'))).toBe(40);
  });
});

describeEngines('order numbers', (engine) => {
  it('start again at #1 at midnight in the kitchen\'s TIME_ZONE, not the server\'s or UTC\'s', async () => {
    const db = await openTestDatabase(engine);
    let now = new Date('2026-11-23T10:50:00Z'); // 23:50 in Auckland
    const orders = createOrderRepository(db, { timeZone: 'Pacific/Auckland', now: () => now });
    const late = (await orders.create(newOrder)).order;
    now = new Date('2026-11-23T11:05:00Z'); // 00:05 the next day in Auckland
    const early = (await orders.create(newOrder)).order;
    // UTC's midnight falls at 13:00 in Auckland: the same kitchen day, so the numbers go on.
    now = new Date('2026-11-23T23:50:00Z');
    const beforeUtcMidnight = (await orders.create(newOrder)).order;
    now = new Date('2026-11-24T00:10:00Z');
    const afterUtcMidnight = (await orders.create(newOrder)).order;
    expect([late.number, early.number, beforeUtcMidnight.number, afterUtcMidnight.number]).toEqual([1, 1, 2, 3]);
  });

  it('are given to the orders inserted by the seed as well', async () => {
    const db = await openTestDatabase(engine);
    const orders = createOrderRepository(db);
    await orders.insertIfEmpty([makeOrder({ id: orderIdFor('a') }), makeOrder({ id: orderIdFor('b') })]);
    expect((await orders.list()).map((order) => order.number)).toEqual([1, 2]);
  });

  it('stay unique and gap-free when several processes create orders at the same time', async () => {
    const location = await createTestLocation(engine);
    const database = await location.open(); // migrated once, before the processes race for it

    const results = await runProcesses(location, 4, 40);

    expect(results.filter((result) => result.code !== 0).map((result) => result.errors)).toEqual([]);
    const numbers = (await database.all<{ number: number }>('SELECT number FROM orders ORDER BY number')).map((row) => row.number);
    expect(numbers).toEqual(Array.from({ length: 160 }, (_, index) => index + 1));
  });

  it('cannot repeat within a day, whoever writes to the table', async () => {
    const database = await openTestDatabase(engine);
    const orders = createOrderRepository(database);
    await orders.create(newOrder);
    await orders.create(newOrder);
    await expect(database.run('UPDATE orders SET number = 1')).rejects.toThrow(database.pick({
      sqlite: /UNIQUE constraint failed: orders.day, orders.number/,
      postgres: /duplicate key value violates unique constraint "orders_day_number"/,
    }));
  });
});

describe('order numbers on SQLite', () => {
  it('are given by the migration to orders stored before numbers existed, per day, oldest first', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
    const migrations = join(root, 'src/db/migrations');
    for (const file of readdirSync(migrations).filter((name) => name < '040').sort()) {
      db.exec(readFileSync(join(migrations, file), 'utf8'));
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(file, '');
    }
    db.exec(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at) VALUES
      ('o2', 'B', '+1', 'x', 'pending', '2026-01-01T12:00:00.000Z', '2026-01-01T12:00:00.000Z'),
      ('o1', 'A', '+1', 'x', 'pending', '2026-01-01T09:00:00.000Z', '2026-01-01T09:00:00.000Z'),
      ('o3', 'C', '+1', 'x', 'pending', '2026-01-02T09:00:00.000Z', '2026-01-02T09:00:00.000Z')`);

    migrate(db);

    expect(db.prepare('SELECT id, day, number FROM orders ORDER BY id').all()).toEqual([
      { id: 'o1', day: '2026-01-01', number: 1 }, { id: 'o2', day: '2026-01-01', number: 2 }, { id: 'o3', day: '2026-01-02', number: 1 },
    ]);
  });
});
