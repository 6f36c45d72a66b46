import { describe, expect, it } from 'vitest';
import { migrate, openSqlite } from '../src/db/sqlite.ts';
import { messageStates } from '../src/notifications/message-states.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { sampleOrders, seedSampleOrders } from '../src/orders/sample-orders.ts';
import { makeOrder, orderIdFor } from './support/helpers.ts';
import { useTempDatabases } from './support/temp-databases.ts';

const tempDatabasePath = useTempDatabases('nested/orders.db');

describe('openDatabase', () => {
  it('creates the folder, uses WAL (its commits flushed off the event loop) and foreign keys, and records migrations', () => {
    const db = openSqlite(tempDatabasePath()).sqlite;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // NORMAL: SQLite writes the log without waiting; every write waits for our flush of it (disk-waits.test.ts).
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const applied = db.prepare('SELECT name FROM schema_migrations ORDER BY name').pluck().all();
    expect(applied).toContain('001-orders.sql');
    db.close();
  });

  it('applies nothing twice', () => {
    expect(migrate(openSqlite(':memory:').sqlite)).toEqual([]);
  });

  it('stores every message state of the one list in the code, and refuses any other', async () => {
    const database = openSqlite(':memory:');
    const db = database.sqlite;
    const orders = createOrderRepository(database);
    await orders.insert(makeOrder({ id: orderIdFor('a') }));
    const insert = db.prepare(`INSERT INTO messages (order_id, order_status, body, recipient, reference, state, requested_at, updated_at)
      VALUES (?, 'pending', 'Hello', '+319876543211', ?, ?, '2026-11-23T18:00:00Z', '2026-11-23T18:00:00Z')`);
    for (const state of messageStates) expect(() => insert.run(orderIdFor('a'), `ref-${state}`, state)).not.toThrow();
    expect(() => insert.run(orderIdFor('a'), 'ref-lost', 'lost')).toThrow(/FOREIGN KEY constraint/);
  });

  it('refuses a status outside the list at the database level too', async () => {
    const orders = createOrderRepository(openSqlite(':memory:'));
    await expect(orders.insert(makeOrder({ status: 'lost' as never }))).rejects.toThrow(/CHECK constraint/);
  });
});

describe('seedSampleOrders', () => {
  it('seeds the three sample orders into an empty database', async () => {
    const orders = createOrderRepository(openSqlite(':memory:'));
    expect(await seedSampleOrders(orders)).toBe(3);
    expect((await orders.list()).map((order) => [order.customerName, order.status])).toEqual([
      ['Hannah Hungry', 'pending'],
      ['Mike Madeater', 'delayed'],
      ['Don Cheetos', 'confirmed'],
    ]);
    expect((await orders.findById('1b992e39dc55f0c79dbe613b3ad02f29'))!.phone).toBe('+319876543211');
  });

  it('never seeds when there are orders already', async () => {
    const orders = createOrderRepository(openSqlite(':memory:'));
    await orders.insert(makeOrder({ id: '0000000000000000000000000000000c' }));
    expect(await seedSampleOrders(orders)).toBe(0);
    expect((await orders.list()).map((order) => order.id)).toEqual(['0000000000000000000000000000000c']);
  });

  it('keeps changed data across a restart instead of seeding again', async () => {
    const path = tempDatabasePath();
    const first = openSqlite(path);
    await seedSampleOrders(createOrderRepository(first));
    await createOrderRepository(first).updateStatus(sampleOrders[1]!.id, 'delivered', null);
    await first.close();

    const second = openSqlite(path);
    const orders = createOrderRepository(second);
    expect(await seedSampleOrders(orders)).toBe(0);
    expect(await orders.count()).toBe(3);
    expect((await orders.findById(sampleOrders[1]!.id))!.status).toBe('delivered');
    await second.close();
  });
});
