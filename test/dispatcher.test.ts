import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, retryDelayMs } from '../src/notifications/dispatcher.ts';
import type { DispatcherOptions } from '../src/notifications/dispatcher.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import type { Message } from '../src/notifications/message-repository.ts';
import type { MessageState } from '../src/notifications/message-states.ts';
import { createMessageBirdSender } from '../src/notifications/messagebird-sender.ts';
import { createOrderRepository, movedOnReason, numberCorrectedReason, orderDigest } from '../src/orders/order-repository.ts';
import type { Database } from '../src/db/database.ts';
import { openSqlite } from '../src/db/sqlite.ts';
import { createOptOutRepository, optedOutReason } from '../src/notifications/opt-out-repository.ts';
import { describeEngines, openTestDatabase } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { FakeMessageBird } from './support/fake-messagebird.ts';
import { bridgeMessageBirdTo, removeMessageBirdBridge } from './support/messagebird-bridge.ts';
import { makeOrder, orderIdFor, seededRandom } from './support/helpers.ts';
import { heldFlushes } from './support/held-flushes.ts';
import { queuedMessage } from './support/queued-message.ts';
import { useTempDatabases } from './support/temp-databases.ts';

let fake: FakeMessageBird;
beforeAll(async () => {
  fake = new FakeMessageBird();
  bridgeMessageBirdTo(await fake.start());
});
afterAll(async () => {
  removeMessageBirdBridge();
  await fake.close();
});

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  fake.reset();
});

const options: DispatcherOptions = {
  concurrency: 2,
  maxAttempts: 4,
  retryBaseMs: 40,
  retryMaxMs: 200,
  reportUrl: 'https://desk.example/webhooks/messagebird/status',
  pollMs: 20,
  leaseMs: 30_000,
  checkGraceMs: 300,
};

/** A dispatcher over a fresh database of the engine (closed after the test), or the one given, against the fake MessageBird. */
async function setup(engine: TestEngine, overrides: Partial<DispatcherOptions> = {}, timeoutMs = 1000, given?: Database) {
  const database = given ?? await openTestDatabase(engine);
  const orders = createOrderRepository(database);
  const messages = createMessageRepository(database);
  const sender = createMessageBirdSender({ apiKey: 'test_key123', originator: 'OmNomNom', timeoutMs });
  const dispatcher = createDispatcher({ messages, sender, logger: pino({ level: 'silent' }) }, { random: seededRandom(7), instanceId: 'this-process', ...options, ...overrides });
  stops.push(() => dispatcher.stop(2000));
  const queue = async (label: string, phone = '+319876543211') => {
    const id = orderIdFor(label);
    await orders.insert(makeOrder({ id, customerName: `Customer ${label}`, phone }));
    const result = await messages.queue({ orderId: id, orderStatus: 'pending', body: `Hello ${label}`, recipient: phone, reference: `ref-${label}`, requestedBy: null }, { resend: false });
    return queuedMessage(result);
  };
  const reach = async (message: Message, states: MessageState[]) => {
    await expect.poll(async () => (await messages.findById(message.id))!.state, { timeout: 5000, interval: 5 }).toSatisfy((state: MessageState) => states.includes(state));
    return (await messages.findById(message.id))!;
  };
  const settled = (message: Message) => reach(message, ['sent', 'failed', 'delivered']);
  /** What a process that died mid-send leaves behind: 'sending', claimed by it, lease run out. */
  const leftSendingByACrash = (message: Message, leaseUntil = new Date(Date.now() - 1000)) =>
    database.run("UPDATE messages SET state = 'sending', attempts = 1, claimed_by = 'dead-process', lease_until = ?, last_attempt_at = ? WHERE id = ?",
      [leaseUntil.toISOString(), new Date(Date.now() - 5000).toISOString(), message.id]);
  return { database, messages, dispatcher, queue, reach, settled, leftSendingByACrash };
}

describe('retryDelayMs', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const limits = { retryBaseMs: 1000, retryMaxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, limits, () => 0.999_999))).toEqual([999, 1999, 3999, 7999, 9999, 9999]);
    expect(retryDelayMs(3, limits, () => 0)).toBe(0);
  });
});

describeEngines('the dispatcher, against a fake MessageBird', (engine) => {
  it('sends a queued message once, with the exact request, and records the provider id', async () => {
    const { dispatcher, queue, settled } = await setup(engine);
    const message = await queue('a');
    dispatcher.start();
    const done = await settled(message);

    expect(done, String(done.errorDescription)).toMatchObject({ state: 'sent', attempts: 1, providerMessageId: 'mb-1' });
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/messages');
    expect(request!.headers.authorization).toBe('AccessKey test_key123');
    expect(request!.body).toEqual({ originator: 'OmNomNom', recipients: '+319876543211', body: 'Hello a', reference: 'ref-a', reportUrl: 'https://desk.example/webhooks/messagebird/status' });
  });

  it('retries after a 500 with MessageBird\'s error body, and then succeeds', async () => {
    fake.reply({ status: 500, body: { errors: [{ code: 99, description: 'Internal error' }] } });
    const { dispatcher, queue, settled } = await setup(engine);
    const message = await queue('a');
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'sent', attempts: 2, errorDescription: null });
    expect(fake.sends()).toHaveLength(2);
    expect(fake.lookups()).toHaveLength(0);
  });

  it('retries a 429 without looking anything up', async () => {
    fake.reply({ status: 429, body: { errors: [{ code: 429, description: 'Too many requests' }] } }, { status: 429 });
    const { dispatcher, queue, settled } = await setup(engine);
    const message = await queue('a');
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'sent', attempts: 3 });
    expect(fake.lookups()).toHaveLength(0);
  });

  it('gives up after the last attempt, keeps the reason, and waits within the backoff ceilings', async () => {
    fake.fallback = () => ({ status: 503, body: { errors: [{ code: 7, description: 'Service unavailable' }] } });
    const { dispatcher, queue, settled } = await setup(engine, { maxAttempts: 3 });
    const message = await queue('a');
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'failed', attempts: 3, errorDescription: 'Service unavailable' });
    expect(fake.sends()).toHaveLength(3);
    const gaps = fake.requests.slice(1).map((request, index) => request.at - fake.requests[index]!.at);
    // Ceilings 40 ms then 80 ms, plus slack for a busy machine; a wrong unit or missing cap would be seconds off.
    expect(gaps[0]).toBeLessThan(40 + 500);
    expect(gaps[1]).toBeLessThan(80 + 500);
  });

  it('tries a 422 exactly once and keeps each error description', async () => {
    fake.reply({ status: 422, body: { errors: [
      { code: 9, description: 'no (correct) recipients found', parameter: 'recipients' },
      { code: 2, description: 'originator is too long', parameter: 'originator' },
    ] } });
    const { dispatcher, queue, settled } = await setup(engine);
    const message = await queue('a');
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'failed', attempts: 1, errorCode: 9, errorDescription: 'no (correct) recipients found\noriginator is too long' });
    expect(fake.requests).toHaveLength(1);
  });

  it('never has more sends at MessageBird than the concurrency limit, and claims at most one more for each', async () => {
    fake.fallback = (request) => ({ status: 201, body: { id: request.body.reference }, delayMs: 60 });
    const { dispatcher, queue, settled, messages } = await setup(engine, { concurrency: 2 });
    const queued: Message[] = [];
    for (const reference of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) queued.push(await queue(reference));
    let peak = 0;
    const watch = setInterval(() => {
      void Promise.all(queued.map((m) => messages.findById(m.id))).then((rows) => {
        peak = Math.max(peak, rows.filter((row) => row!.state === 'sending').length);
      });
    }, 5);
    dispatcher.start();
    for (const message of queued) await settled(message);
    clearInterval(watch);
    expect(fake.peakOpenSends).toBe(2);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(4);
    expect(fake.sends()).toHaveLength(7);
  });
});

describe('messages claimed ahead of a free slot, on a SQLite file', () => {
  const tempDatabasePath = useTempDatabases();

  it('go out the moment a slot frees, while the next claim still waits for the disk', async () => {
    fake.fallback = (request) => ({ status: 201, body: { id: `mb-${String(request.body.reference)}` }, delayMs: 100 });
    const flushes = heldFlushes();
    const database = openSqlite(tempDatabasePath(), { fsync: flushes.fsync });
    const { dispatcher, queue, settled } = await setup({ name: 'sqlite' }, { concurrency: 2 }, 1000, database);
    const queued: Message[] = [];
    for (const label of ['a', 'b', 'c', 'd', 'e', 'f']) queued.push(await queue(label));
    dispatcher.start();
    // Two at MessageBird, two claimed ahead.
    await expect.poll(() => fake.sends().length).toBe(2);
    await expect.poll(async () => database.value("SELECT count(*) FROM messages WHERE state = 'sending'")).toBe(4);
    flushes.hold();

    // No claim can reach the disk now, yet the two claimed ahead go out as the first two are answered.
    await expect.poll(() => fake.sends().length, { timeout: 3000 }).toBe(4);
    expect(flushes.waiting()).toBeGreaterThan(0);
    flushes.letGo();
    for (const message of queued) await settled(message);
    expect(fake.sends()).toHaveLength(6);
    expect(fake.peakOpenSends).toBe(2);
    await dispatcher.stop(2000);
    await database.close();
  });
});

describeEngines('messages claimed ahead of a free slot', (engine) => {
  const slow = () => { fake.fallback = (request) => ({ status: 201, body: { id: `mb-${String(request.body.reference)}` }, delayMs: 150 }); };

  it('go back to the queue at stop, their attempt not counted', async () => {
    slow();
    const { dispatcher, queue, messages, reach } = await setup(engine, { concurrency: 1 });
    const [a, b, c] = [await queue('a'), await queue('b'), await queue('c')];
    dispatcher.start();
    await reach(b, ['sending']);
    // b is claimed once a's send has started; a's request may reach the fake a moment after.
    await expect.poll(() => fake.sends().length).toBe(1);
    expect(await dispatcher.stop(2000)).toBe(0);
    expect(await messages.findById(a.id)).toMatchObject({ state: 'sent', attempts: 1 });
    expect(await messages.findById(b.id)).toMatchObject({ state: 'queued', attempts: 0, lastAttemptAt: null });
    expect(await messages.findById(c.id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(fake.sends()).toHaveLength(1);
  });

  // What may happen to a text claimed ahead (b waits while a is slow at MessageBird), and why it
  // is then not sent. The queued ones are cancelled by the change itself; b was claimed already.
  const whileWaiting: Array<[string, (database: Database) => Promise<unknown>, string]> = [
    ['the number opted out', (database) => createOptOutRepository(database).optOut('+31611111111', { source: 'keyword', keyword: 'STOP' }), optedOutReason],
    ['their order was cancelled', (database) => createOrderRepository(database).updateStatus(orderIdFor('b'), 'cancelled', null), 'Not sent: the order was cancelled before it went out'],
    ['their order’s number was corrected', async (database) => {
      const orders = createOrderRepository(database);
      const order = (await orders.findById(orderIdFor('b')))!;
      return orders.edit(order.id, { customerName: order.customerName, phone: '+31622222222', items: order.items, note: order.note, deliveryAddress: order.deliveryAddress, scheduledFor: null }, orderDigest(order), null);
    }, numberCorrectedReason('+31611111111', '+31622222222')],
  ];
  it.each(whileWaiting)('are cancelled, not sent, when %s while they waited', async (_what, change, reason) => {
    slow();
    const { dispatcher, queue, reach, database } = await setup(engine, { concurrency: 1 });
    const a = await queue('a');
    const b = await queue('b', '+31611111111');
    dispatcher.start();
    await reach(b, ['sending']);
    await change(database);
    expect(await reach(b, ['cancelled', 'sent'])).toMatchObject({ state: 'cancelled', attempts: 0, errorDescription: reason });
    await reach(a, ['sent']);
    expect(fake.sends().map((request) => request.body.reference)).toEqual(['ref-a']);
  });

  it('are left alone, not sent, when another process took the claim over meanwhile', async () => {
    slow();
    const { dispatcher, queue, messages, reach, database } = await setup(engine, { concurrency: 1 });
    const a = await queue('a');
    const b = await queue('b');
    dispatcher.start();
    await reach(b, ['sending']);
    await database.run("UPDATE messages SET claimed_by = 'other-process' WHERE id = ?", [b.id]);
    await dispatcher.waitForAttempt(b.id, 3000);
    expect(await messages.findById(a.id)).toMatchObject({ state: 'sent' });
    expect(await messages.findById(b.id)).toMatchObject({ state: 'sending', attempts: 1 });
    expect(fake.sends().map((request) => request.body.reference)).toEqual(['ref-a']);
  });
});

describeEngines('a retry about a status the order has left', (engine) => {
  it.each(['cancelled', 'delivered', 'pending'] as const)('is not sent: the send on its way when the order became %s is answered "try later", and its retry is cancelled', async (status) => {
    fake.reply({ status: 503, body: { errors: [{ code: 7, description: 'Service unavailable' }] }, delayMs: 200 });
    const { dispatcher, database, messages, reach } = await setup(engine, { concurrency: 1 });
    const orders = createOrderRepository(database);
    await orders.insert(makeOrder({ id: orderIdFor('a'), phone: '+319876543211' }));
    await orders.updateStatus(orderIdFor('a'), 'confirmed', null);
    const message = queuedMessage(await messages.queue({ orderId: orderIdFor('a'), orderStatus: 'confirmed', body: 'We are preparing your food', recipient: '+319876543211', reference: 'ref-a', requestedBy: null }, { resend: false }));
    dispatcher.start();
    await expect.poll(() => fake.requests.length, { timeout: 5000, interval: 5 }).toBe(1);
    // MessageBird has the request and has not answered: the text is 'sending', out of reach of the change.
    await orders.updateStatus(orderIdFor('a'), status, null);
    expect(await messages.findById(message.id)).toMatchObject({ state: 'sending' });

    expect(await reach(message, ['cancelled', 'sent', 'failed'])).toMatchObject({ state: 'cancelled', errorDescription: movedOnReason(status) });
    expect(fake.sends()).toHaveLength(1);
  });

  it('is sent when the order has not moved on: a plain retry goes out', async () => {
    fake.reply({ status: 503, body: { errors: [{ code: 7, description: 'Service unavailable' }] } });
    const { dispatcher, queue, settled } = await setup(engine, { concurrency: 1 });
    const message = await queue('a');
    dispatcher.start();

    expect(await settled(message)).toMatchObject({ state: 'sent', attempts: 2 });
    expect(fake.sends()).toHaveLength(2);
  });
});

describeEngines('an unknown outcome is checked with MessageBird, not sent again', (engine) => {
  it.each([
    ['no answer within the time limit', { hang: true, accept: true }],
    ['a connection cut after MessageBird took the message', { reset: true, accept: true }],
    ['a 502 without MessageBird\'s error body', { status: 502, body: '<html>Bad gateway</html>', accept: true }],
    ['a 201 with an empty body', { status: 201 }],
  ] as const)('after %s, finds the message at MessageBird and records it as sent with its id', async (_name, reply) => {
    fake.reply(reply);
    const { dispatcher, queue, settled } = await setup(engine, {}, 300);
    const message = await queue('a');
    dispatcher.start();
    const done = await settled(message);
    expect(done).toMatchObject({ state: 'sent', attempts: 1, providerMessageId: fake.messages[0]!.id, errorDescription: null });
    expect(fake.sends()).toHaveLength(1);
    expect(fake.lookups().length).toBeGreaterThan(0);
  });

  it('shows "checking" with the reason while MessageBird cannot be asked, and never sends again meanwhile', async () => {
    fake.reply({ reset: true, accept: true });
    fake.lookupReply({ status: 503, body: { errors: [{ code: 7, description: 'Service unavailable' }] } }, { reset: true });
    const { dispatcher, queue, reach, settled } = await setup(engine);
    const message = await queue('a');
    dispatcher.start();
    const checking = await reach(message, ['checking']);
    expect(checking.errorDescription).toBe('The connection to MessageBird was cut off before it answered');
    expect(await settled(message)).toMatchObject({ state: 'sent', providerMessageId: fake.messages[0]!.id });
    expect(fake.lookups()).toHaveLength(3);
    expect(fake.sends()).toHaveLength(1);
  });

  it('waits calmly while a look-up is under way, instead of spinning', async () => {
    fake.reply({ reset: true, accept: true });
    fake.lookupReply({ status: 200, body: { offset: 0, limit: 50, count: 0, totalCount: 0, links: {}, items: [] }, delayMs: 800 });
    const { dispatcher, queue, settled, messages } = await setup(engine, { pollMs: 100, checkGraceMs: 0 });
    const claimDue = messages.claimDue;
    let looks = 0;
    messages.claimDue = (...args) => {
      looks += 1;
      return claimDue(...args);
    };
    const message = await queue('a');
    dispatcher.start();
    await settled(message);
    // About one look per poll interval (100 ms) during the 800 ms look-up, not one per millisecond.
    expect(looks).toBeLessThan(40);
  });

  it('sends again, once, only after the grace period when MessageBird has no record of it', async () => {
    fake.reply({ reset: true, accept: false });
    const { dispatcher, queue, settled } = await setup(engine, { checkGraceMs: 300 });
    const message = await queue('a');
    // The grace period runs from the start of the send, a little before MessageBird received it.
    const started = Date.now();
    dispatcher.start();
    const done = await settled(message);
    expect(done).toMatchObject({ state: 'sent', attempts: 2 });
    const [first, second] = fake.sends();
    expect(first!.at - started).toBeLessThan(300);
    expect(second!.at - started).toBeGreaterThanOrEqual(300);
    // Every look-up came before the second send, and found nothing.
    expect(fake.lookups().length).toBeGreaterThan(0);
    expect(fake.lookups().every((lookup) => lookup.at < second!.at)).toBe(true);
    expect(fake.sends()).toHaveLength(2);
  });

  it('aborts the HTTP request at the timeout, so nothing can land after it gave up', async () => {
    fake.reply({ hang: true, accept: false });
    const { dispatcher, queue, reach } = await setup(engine, { checkGraceMs: 60_000 }, 300);
    const message = await queue('a');
    dispatcher.start();
    await reach(message, ['checking']);
    await expect.poll(() => fake.sends()[0]?.abandoned, { timeout: 2000, interval: 5 }).toBe(true);
  });
});

describeEngines('a send a crash left in "sending"', (engine) => {
  it('is looked up once its lease ran out, and recorded as sent without a resend when MessageBird has it', async () => {
    const { dispatcher, queue, settled, leftSendingByACrash } = await setup(engine);
    const message = await queue('a');
    await leftSendingByACrash(message);
    const stored = fake.remember({ recipients: '+319876543211', body: 'Hello a', reference: 'ref-a' }, 'mb-from-before-the-crash');
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'sent', attempts: 1, providerMessageId: stored.id });
    expect(fake.sends()).toHaveLength(0);
  });

  it('is sent again, once, when MessageBird has no record of it after the grace period', async () => {
    const { dispatcher, queue, settled, leftSendingByACrash } = await setup(engine);
    const message = await queue('a');
    await leftSendingByACrash(message);
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'sent', attempts: 2 });
    expect(fake.sends()).toHaveLength(1);
    expect(fake.lookups()[0]!.at).toBeLessThan(fake.sends()[0]!.at);
  });

  it('is left alone while another process holds a live lease on it', async () => {
    const { dispatcher, queue, messages, leftSendingByACrash } = await setup(engine);
    const message = await queue('a');
    await leftSendingByACrash(message, new Date(Date.now() + 60_000));
    // The claims are async (a round trip on PostgreSQL): wait until the first look has claimed what
    // it would, then see that the message was not among it.
    const claimDue = messages.claimDue;
    let looked = false;
    messages.claimDue = async (...args) => {
      const claimed = await claimDue(...args);
      looked = true;
      return claimed;
    };
    dispatcher.start();
    await expect.poll(() => looked, { timeout: 5000, interval: 5 }).toBe(true);
    expect(await messages.findById(message.id)).toMatchObject({ state: 'sending', attempts: 1 });
    expect(fake.requests).toHaveLength(0);
  });
});

describeEngines('the dispatcher when the database fails', (engine) => {
  it('never sends again a message MessageBird took when recording it fails: it writes again', async () => {
    const { dispatcher, queue, settled, messages } = await setup(engine);
    const markSent = messages.markSent;
    let failures = 2;
    messages.markSent = (...args) => {
      if (failures-- > 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return markSent(...args);
    };
    const message = await queue('a');
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'sent', attempts: 1, providerMessageId: 'mb-1' });
    expect(failures).toBeLessThan(0);
    expect(fake.sends()).toHaveLength(1);
  });

  it('keeps going when reading the outbox fails, without an unhandled rejection', async () => {
    const { dispatcher, queue, settled, messages } = await setup(engine);
    const claimDue = messages.claimDue;
    let failures = 2;
    messages.claimDue = (...args) => {
      if (failures-- > 0) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      return claimDue(...args);
    };
    const message = await queue('a');
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'sent' });
  });
});

describeEngines('stopping the dispatcher', (engine) => {
  it('waits for sends in flight, within the bound', async () => {
    fake.reply({ status: 201, body: { id: 'x' }, delayMs: 200 });
    const { dispatcher, queue, messages, reach } = await setup(engine);
    const message = await queue('a');
    dispatcher.start();
    await reach(message, ['sending']);
    // In flight once MessageBird has the request: claimed and not yet sent, stop would put it back.
    await expect.poll(() => fake.sends().length).toBe(1);
    expect(await dispatcher.stop(2000)).toBe(0);
    expect((await messages.findById(message.id))!.state).toBe('sent');
  });

  it('hands over a send still unfinished at the bound as "checking", for the next start to look up', async () => {
    fake.reply({ hang: true });
    const { dispatcher, queue, messages, reach } = await setup(engine, {}, 800);
    const message = await queue('a');
    dispatcher.start();
    await reach(message, ['sending']);
    await expect.poll(() => fake.sends().length).toBe(1);
    expect(await dispatcher.stop(50)).toBe(1);
    expect(await messages.findById(message.id)).toMatchObject({ state: 'checking' });
  });

  it('takes no new work after stopping', async () => {
    const { dispatcher, queue, messages } = await setup(engine);
    dispatcher.start();
    await dispatcher.stop(100);
    const message = await queue('a');
    // A look at the outbox starts synchronously in kick() with its first query: count those.
    let looks = 0;
    const expireLeases = messages.expireLeases;
    messages.expireLeases = (...args) => {
      looks += 1;
      return expireLeases(...args);
    };
    dispatcher.kick();
    expect(looks).toBe(0);
    expect((await messages.findById(message.id))!.state).toBe('queued');
    expect(fake.requests).toHaveLength(0);
  });
});
