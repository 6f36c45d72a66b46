import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../src/db/sqlite.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { FakeMessageBird } from './support/fake-messagebird.ts';
import { orderIdFor } from './support/helpers.ts';
import { runServerToExit, startServer } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { useTempDatabases } from './support/temp-databases.ts';
import { queuedMessage } from './support/queued-message.ts';

const root = join(import.meta.dirname, '..');
const newDatabasePath = useTempDatabases();

let fake: FakeMessageBird;
beforeAll(async () => {
  fake = new FakeMessageBird();
  await fake.start();
});
afterAll(async () => {
  await fake.close();
});

const servers: ServerProcess[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop('SIGKILL');
  fake.reset();
});

const baseEnv = (path: string) => ({ DATABASE_PATH: path, ADMIN_USERNAME: 'chef', ADMIN_PASSWORD: 'kitchen-door-blue-42', MESSAGEBIRD_API_KEY: 'test_twoprocesses' });

/** Queues a message for a new order, from outside the servers, as a second tablet would. */
async function queueMessage(path: string, label: string) {
  const id = orderIdFor(label);
  const database = openSqlite(path);
  const db = database.sqlite;
  await createOrderRepository(database).insert({ id, customerName: `Customer ${label}`, phone: '+319876543211', items: 'Pizza', status: 'pending' });
  const message = queuedMessage(await createMessageRepository(database).queue({ orderId: id, orderStatus: 'pending', body: `Hello ${label}`, recipient: '+319876543211', reference: `ref-${label}`, requestedBy: null }, { resend: false }));
  db.close();
  return message;
}

function readMessage(path: string, id: number) {
  const db = new Database(path, { readonly: true });
  const row = db.prepare('SELECT state, claimed_by AS claimedBy FROM messages WHERE id = ?').get(id) as { state: string; claimedBy: string | null };
  db.close();
  return row;
}

describe('two server processes on one database', () => {
  it('the second leaves alone a send the first is still making: no look-up, no resend', async () => {
    const path = newDatabasePath();
    // The first process holds its send for longer than many leases; it must keep renewing it.
    fake.fallback = (request) => ({ status: 201, body: { id: `mb-${request.body.reference}` }, delayMs: 4000 });
    const env = { ...baseEnv(path), SMS_LEASE_MS: '300', SMS_CHECK_GRACE_MS: '300', MESSAGEBIRD_TIMEOUT_MS: '20000' };
    const first = await startServer(env, { fakeMessageBird: fake.url });
    servers.push(first);
    const message = await queueMessage(path, 'busy');
    await expect.poll(() => fake.sends().length, { timeout: 10_000, interval: 20 }).toBe(1);

    const second = await startServer(env, { fakeMessageBird: fake.url });
    servers.push(second);

    await expect.poll(() => readMessage(path, message.id).state, { timeout: 15_000, interval: 50 }).toBe('sent');
    expect(fake.sends()).toHaveLength(1);
    expect(fake.lookups()).toHaveLength(0);
  }, 40_000);

  it('a second process that cannot listen exits without touching the outbox', async () => {
    const path = newDatabasePath();
    fake.reply({ hang: true });
    const env = { ...baseEnv(path), SMS_CONCURRENCY: '1', MESSAGEBIRD_TIMEOUT_MS: '60000' };
    const first = await startServer(env, { fakeMessageBird: fake.url });
    servers.push(first);
    const held = await queueMessage(path, 'held');
    await expect.poll(() => fake.sends().length, { timeout: 10_000, interval: 20 }).toBe(1);
    const waiting = await queueMessage(path, 'waiting');
    const firstOwner = readMessage(path, held.id).claimedBy;

    const port = new URL(first.url).port;
    const second = await runServerToExit({ ...env, PORT: port, MESSAGEBIRD_API_KEY: '' });

    expect(second.code).toBe(1);
    expect(second.output).toContain('could not listen');
    expect(readMessage(path, waiting.id)).toEqual({ state: 'queued', claimedBy: null });
    expect(readMessage(path, held.id)).toEqual({ state: 'sending', claimedBy: firstOwner });
  }, 40_000);
});

describe('two processes writing at once', () => {
  it('wait for each other: status changes, queued messages and delivery reports never fail with SQLITE_BUSY', async () => {
    const path = newDatabasePath();
    const count = 300;
    const run = (name: string) => {
      const child = spawn(process.execPath, ['test/support/concurrent-writer.ts', path, name, String(count)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      return once(child, 'exit').then(([code]) => ({ code, ...(JSON.parse(output) as { errors: string[] }) }));
    };

    const results = await Promise.all([run('writer-a'), run('writer-b')]);

    expect(results).toEqual([{ code: 0, errors: [] }, { code: 0, errors: [] }]);
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM orders').pluck().get()).toBe(3 + 2);
    expect(db.prepare("SELECT count(*) FROM order_status_changes WHERE order_id IN (?, ?)").pluck().get(orderIdFor('writer-a'), orderIdFor('writer-b'))).toBe(2 * (count + 1));
    expect(db.prepare("SELECT count(*) FROM messages WHERE state = 'delivered'").pluck().get()).toBe(2 * count);
    db.close();
  }, 60_000);
});

describe('a bug that escapes every handler', () => {
  it.each([
    ['an unhandled rejection', 'SIGUSR2', 'unhandled promise rejection; exiting', 'test: a rejection nobody handles'],
    ['an uncaught exception', 'SIGHUP', 'uncaught exception; exiting', 'test: an exception nobody catches'],
  ] as const)('%s is logged as fatal and the process exits non-zero, for a supervisor to restart it', async (_name, signal, message, cause) => {
    const server = await startServer(baseEnv(newDatabasePath()), { imports: ['./test/support/fault-preload.ts'] });
    servers.push(server);
    server.child.kill(signal);
    const [code] = await once(server.child, 'exit');
    expect(code).toBe(1);
    const fatal = server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } })
      .find((entry) => entry.level === 60);
    expect(fatal).toMatchObject({ msg: message, err: { message: cause } });
  }, 30_000);
});
