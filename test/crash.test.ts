import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
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
    fake.fallback = (request) => ({ status: 201, body: { id: `mb-${request.body.reference}` }, delayMs: 20 + Math.floor(Math.random() * 120) });
    await fake.start();
  });

  afterAll(async () => {
    await fake.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it(`loses no message and duplicates no more than were in flight, over ${kills} kills with SIGKILL`, async () => {
    const path = join(folder, 'orders.db');
    const env = { DATABASE_PATH: path, ADMIN_USERNAME: 'chef', ADMIN_PASSWORD: 'kitchen-door-blue-42', MESSAGEBIRD_API_KEY: 'test_crashkey', SMS_CONCURRENCY: '4', SMS_RETRY_BASE_MS: '50' };
    let queued = 0;
    let inFlightAtKills = 0;

    // Between runs the test is the only one with the database open, as an operator would be.
    const queueMore = () => {
      const db = openDatabase(path);
      const orders = createOrderRepository(db);
      const messages = createMessageRepository(db);
      for (let index = 0; index < perRound; index += 1) {
        const id = orderIdFor(`crash-${queued}`);
        orders.insert({ id, customerName: `Customer ${queued}`, phone: '+319876543211', items: 'Pizza', status: 'pending' });
        messages.queue({ orderId: id, orderStatus: 'pending', body: `Hello ${queued}`, recipient: '+319876543211', reference: `ref-${queued}`, requestedBy: null }, { resend: false });
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
      queueMore();
      const server = await startServer(env, { fakeMessageBird: fake.url });
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 300)));
      await server.stop('SIGKILL');
      inFlightAtKills += countSending();
    }

    // A last, uninterrupted run sends whatever is left, then stops gracefully.
    const server = await startServer(env, { fakeMessageBird: fake.url });
    const db = new Database(path, { readonly: true });
    await expect.poll(() => db.prepare("SELECT count(*) FROM messages WHERE state IN ('queued', 'sending')").pluck().get(), { timeout: 60_000, interval: 100 }).toBe(0);
    expect(await server.stop('SIGTERM')).toBe(0);

    const states = db.prepare('SELECT state, count(*) AS count FROM messages GROUP BY state').all();
    expect(states).toEqual([{ state: 'sent', count: queued }]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    const received = fake.requests.map((request) => request.body.reference as string);
    const unique = new Set(received);
    const duplicates = received.length - unique.size;
    expect(unique.size, 'every queued message reached MessageBird').toBe(queued);
    expect(duplicates).toBeLessThanOrEqual(inFlightAtKills);
    console.info(`crash test: ${kills} kills, ${queued} messages, ${received.length} sends, ${duplicates} duplicates, ${inFlightAtKills} in flight at the kills`);
  }, 30_000 + kills * 5_000);
});
