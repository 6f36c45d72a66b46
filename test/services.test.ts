import Database from 'better-sqlite3';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { SqliteDatabase } from '../src/db/sqlite.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { createServices } from '../src/services.ts';
import { FakeSmsSender, makeOrder, orderIdFor, testConfig } from './support/helpers.ts';
import { useTempDatabases } from './support/temp-databases.ts';
import { queuedMessage } from './support/queued-message.ts';

const newDatabasePath = useTempDatabases();
const logger = pino({ level: 'silent' });

describe('createServices', () => {
  it('builds a stopped dispatcher: nothing is sent until it is started', async () => {
    const sender = new FakeSmsSender();
    const services = await createServices(testConfig(), { logger, sender });
    await createOrderRepository(services.database).insert(makeOrder({ id: orderIdFor('a'), phone: '+319876543211' }));
    const message = queuedMessage(await services.messages.queue({ orderId: orderIdFor('a'), orderStatus: 'pending', body: 'Hello', recipient: '+319876543211', reference: 'ref-a', requestedBy: null }, { resend: false }));
    services.dispatcher.kick();
    expect((await services.messages.findById(message.id))!.state).toBe('queued');

    const attempted = services.dispatcher.waitForAttempt(message.id, 5000);
    services.dispatcher.start();
    await attempted;
    expect((await services.messages.findById(message.id))!.state).toBe('sent');
    await services.close();
  });

  it('close() lets a send in flight finish and be recorded, then closes the database', async () => {
    const path = newDatabasePath();
    const sender = new FakeSmsSender();
    let answer: () => void = () => {};
    sender.next = () => new Promise((resolve) => { answer = () => resolve({ kind: 'accepted', providerMessageId: 'mb-late' }); });
    const services = await createServices(testConfig({ DATABASE_PATH: path }), { logger, sender });
    await createOrderRepository(services.database).insert(makeOrder({ id: orderIdFor('a'), phone: '+319876543211' }));
    const message = queuedMessage(await services.messages.queue({ orderId: orderIdFor('a'), orderStatus: 'pending', body: 'Hello', recipient: '+319876543211', reference: 'ref-a', requestedBy: null }, { resend: false }));
    services.dispatcher.start();
    // The dispatcher's first look at the outbox reads the database before it sends.
    await vi.waitFor(() => expect(sender.sent).toHaveLength(1));

    const closing = services.close(5000);
    expect((services.database as SqliteDatabase).sqlite.open).toBe(true);
    answer();
    expect(await closing).toBe(0);
    expect((services.database as SqliteDatabase).sqlite.open).toBe(false);
    // The same promise again (identity, not its value): a second close() waits for the first.
    expect(services.close() === closing).toBe(true);

    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT state, provider_message_id AS id FROM messages WHERE id = ?').get(message.id)).toEqual({ state: 'sent', id: 'mb-late' });
    db.close();
  });
});
