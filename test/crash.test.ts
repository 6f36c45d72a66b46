import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../src/db/sqlite.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { FakeMessageBird } from './support/fake-messagebird.ts';
import { orderIdFor } from './support/helpers.ts';
import { startServer } from './support/server-process.ts';

// `npm test` runs a short version; `npm run test:crash` sets CRASH_KILLS=200.
const kills = Number(process.env.CRASH_KILLS ?? 8);
const perRound = 6;

describe('crash safety of the outbox', () => {
  let folder: string;
  let fake: FakeMessageBird;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'order-desk-crash-'));
    fake = new FakeMessageBird();
    // A slow provider keeps several messages in flight when the process is killed.
    // MessageBird keeps what it took even when the caller was killed before the answer (FakeReply.accept).
    fake.fallback = (request) => ({ status: 201, body: { id: `mb-${request.body.reference}` }, delayMs: 20 + Math.floor(Math.random() * 120) });
    await fake.start();
  });

  afterAll(async () => {
    await fake.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it(`loses no message and texts at most 1% of messages twice, over ${kills} kills with SIGKILL`, async () => {
    const path = join(folder, 'orders.db');
    // Short leases and grace so a killed run's sends are looked up within a second or two.
    const env = {
      DATABASE_PATH: path, ADMIN_USERNAME: 'chef', ADMIN_PASSWORD: 'kitchen-door-blue-42', MESSAGEBIRD_API_KEY: 'test_crashkey',
      SMS_CONCURRENCY: '4', SMS_RETRY_BASE_MS: '50', SMS_LEASE_MS: '1000', SMS_CHECK_GRACE_MS: '1000',
    };
    let queued = 0;
    let inFlightAtKills = 0;

    // Between runs the test is the only one with the database open, as an operator would be.
    const queueMore = async () => {
      const database = openSqlite(path);
      const db = database.sqlite;
      const orders = createOrderRepository(database);
      const messages = createMessageRepository(database);
      for (let index = 0; index < perRound; index += 1) {
        const id = orderIdFor(`crash-${queued}`);
        await orders.insert({ id, customerName: `Customer ${queued}`, phone: '+319876543211', items: 'Pizza', status: 'pending' });
        await messages.queue({ orderId: id, orderStatus: 'pending', body: `Hello ${queued}`, recipient: '+319876543211', reference: `ref-${queued}`, requestedBy: null }, { resend: false });
        queued += 1;
      }
      db.close();
    };
    const countSending = () => {
      const db = new Database(path);
      const count = db.prepare("SELECT count(*) FROM messages WHERE state = 'sending'").pluck().get() as number;
      db.close();
      return count;
    };

    for (let round = 0; round < kills; round += 1) {
      await queueMore();
      const server = await startServer(env, { fakeMessageBird: fake.url });
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 300)));
      await server.stop('SIGKILL');
      inFlightAtKills += countSending();
    }

    // A last, uninterrupted run sends whatever is left, then stops gracefully.
    const server = await startServer(env, { fakeMessageBird: fake.url });
    const db = new Database(path, { readonly: true });
    await expect.poll(() => db.prepare("SELECT count(*) FROM messages WHERE state IN ('queued', 'sending', 'checking')").pluck().get(), { timeout: 60_000, interval: 100 }).toBe(0);
    expect(await server.stop('SIGTERM')).toBe(0);

    const states = db.prepare('SELECT state, count(*) AS count FROM messages GROUP BY state').all();
    expect(states).toEqual([{ state: 'sent', count: queued }]);
    // Every row carries the id of a message MessageBird really has, with its reference.
    const recorded = db.prepare('SELECT reference, provider_message_id AS id FROM messages').all() as Array<{ reference: string; id: string }>;
    const held = new Map(fake.messages.map((message) => [message.id, message.reference]));
    expect(recorded.filter((row) => held.get(row.id) !== row.reference)).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    const received = fake.sends().map((request) => request.body.reference as string);
    const unique = new Set(received);
    const duplicates = received.length - unique.size;
    expect(unique.size, 'every queued message reached MessageBird').toBe(queued);
    // A send caught by a kill is looked up, not resent. A duplicate needs MessageBird to take a
    // message later than a lease plus the grace period after it arrived: at most 1%, rounded up.
    expect(duplicates).toBeLessThanOrEqual(Math.ceil(queued * 0.01));
    console.info(`crash test: ${kills} kills, ${queued} messages, ${received.length} sends, ${duplicates} duplicates, ${fake.lookups().length} look-ups, ${inFlightAtKills} in flight at the kills`);
  }, 30_000 + kills * 5_000);
});
