import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../src/db/sqlite.ts';
import type { SqliteDatabase } from '../src/db/sqlite.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { heldFlushes } from './support/held-flushes.ts';
import { makeOrder, orderIdFor } from './support/helpers.ts';
import { useTempDatabases } from './support/temp-databases.ts';

// A write resolves only once the disk has its commit; the wait runs off the event loop and is
// shared by the commits made meanwhile (group commit). See createLogFlusher in src/db/sqlite.ts.

const tempDatabasePath = useTempDatabases();
const opened: SqliteDatabase[] = [];
afterEach(async () => {
  for (const database of opened.splice(0)) await database.close();
});

function open(path = tempDatabasePath()) {
  const flushes = heldFlushes();
  const database = openSqlite(path, { fsync: flushes.fsync });
  opened.push(database);
  return { database, flushes, path, orders: createOrderRepository(database), messages: createMessageRepository(database) };
}

/** Lets pending promise callbacks and I/O run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('writes on a SQLite file', () => {
  it('report a status change done only once the disk has it, and keep answering other queries meanwhile', async () => {
    const { orders, flushes, path } = open();
    const id = orderIdFor('durable-status');
    await orders.insert(makeOrder({ id, status: 'pending' }));
    flushes.hold();

    let done = false;
    const change = orders.updateStatus(id, 'confirmed', null, 'pending').then((result) => { done = true; return result; });
    await expect.poll(() => flushes.waiting()).toBe(1);
    expect(done).toBe(false);
    // Committed and visible, here and to another process; the event loop is free while the disk works.
    expect((await orders.findById(id))?.status).toBe('confirmed');
    const other = new BetterSqlite3(path, { readonly: true });
    expect(other.prepare('SELECT status FROM orders WHERE id = ?').pluck().get(id)).toBe('confirmed');
    other.close();

    flushes.release();
    expect(await change).toMatchObject({ outcome: 'changed' });
  });

  it('share one flush among the commits made while the last one was under way', async () => {
    const { database, orders, flushes } = open();
    await orders.insert(makeOrder({ id: orderIdFor('first') }));
    flushes.hold();
    const callsBefore = flushes.calls();

    const first = orders.insert(makeOrder({ id: orderIdFor('during-0') }));
    await expect.poll(() => flushes.waiting()).toBe(1);
    let reported = 0;
    const during = Array.from({ length: 10 }, (_, index) => orders.insert(makeOrder({ id: orderIdFor(`during-${index + 1}`) })).then(() => { reported += 1; }));
    await expect.poll(() => database.value<number>('SELECT count(*) FROM orders')).toBe(12);
    await settle();
    // All ten committed, none reported: they wait for a flush that starts after the one under way.
    expect(reported).toBe(0);
    expect(flushes.waiting()).toBe(1);
    flushes.release();
    await first;
    await expect.poll(() => flushes.waiting()).toBe(1);
    flushes.release();
    await Promise.all(during);
    expect(flushes.calls() - callsBefore).toBe(2);
  });

  it('make a claim on a message durable before the dispatcher may send it', async () => {
    const { orders, messages, flushes } = open();
    const id = orderIdFor('durable-claim');
    await orders.insert(makeOrder({ id, status: 'confirmed' }));
    await messages.queue({ orderId: id, orderStatus: 'confirmed', body: 'Hi', recipient: '+319876543211', reference: 'durable-claim', requestedBy: null }, { resend: false });
    flushes.hold();

    let claimed: unknown;
    const claim = messages.claimDue(1, { owner: 'me', leaseMs: 60_000 }).then((rows) => { claimed = rows; });
    await expect.poll(() => flushes.waiting()).toBe(1);
    await settle();
    expect(claimed).toBeUndefined();
    flushes.release();
    await claim;
    expect(claimed).toHaveLength(1);
  });

  it('record a send MessageBird took without waiting for the disk: the claim before it did, and a lost record is looked up, not resent', async () => {
    const { orders, messages, flushes } = open();
    const id = orderIdFor('sent-no-wait');
    await orders.insert(makeOrder({ id, status: 'confirmed' }));
    await messages.queue({ orderId: id, orderStatus: 'confirmed', body: 'Hi', recipient: '+319876543211', reference: 'sent-no-wait', requestedBy: null }, { resend: false });
    const [message] = await messages.claimDue(1, { owner: 'me', leaseMs: 60_000 });
    flushes.hold();
    expect(await messages.markSent(message!.id, 'mb-1')).toBe(1);
    expect(flushes.waiting()).toBe(0);
    expect((await messages.findById(message!.id))?.state).toBe('sent');
  });

  it('fail when the disk cannot flush, and go on failing every write after it (reads still work)', async () => {
    const { orders, flushes } = open();
    const id = orderIdFor('flush-fails');
    await orders.insert(makeOrder({ id, status: 'pending' }));
    flushes.hold();

    const change = orders.updateStatus(id, 'confirmed', null, 'pending');
    await expect.poll(() => flushes.waiting()).toBe(1);
    flushes.fail(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await expect(change).rejects.toThrow(/Could not flush the database log to the disk: EIO/);
    // The disk may have lost what it was given: nothing is reported saved any more.
    await expect(orders.insert(makeOrder({ id: orderIdFor('after-failure') }))).rejects.toThrow(/Could not flush/);
    expect((await orders.findById(id))?.id).toBe(id);
  });

  it('run transactions started in the same turn one after another, never one inside another', async () => {
    const { database } = open();
    await database.run('CREATE TABLE counter (n INTEGER)');
    const results = await Promise.all(Array.from({ length: 10 }, () => database.transaction(async () => {
      await database.run('INSERT INTO counter VALUES (1)');
      return database.value<number>('SELECT count(*) FROM counter');
    })));
    expect(results).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('let two connections of one process to one file take turns (two instances in one test process)', async () => {
    const path = tempDatabasePath();
    const a = open(path).database;
    const b = open(path).database;
    await a.run('CREATE TABLE counter (n INTEGER)');
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, index) => {
      const database = index % 2 === 0 ? a : b;
      return database.transaction(async () => {
        await database.run('INSERT INTO counter VALUES (1)');
        return database.value<number>('SELECT count(*) FROM counter');
      });
    }));
    expect(results.map((result) => result.status)).toEqual(Array(10).fill('fulfilled'));
  });
});
