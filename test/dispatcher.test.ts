import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { createDispatcher, retryDelayMs } from '../src/notifications/dispatcher.ts';
import type { DispatcherOptions } from '../src/notifications/dispatcher.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import type { Message } from '../src/notifications/message-repository.ts';
import { createMessageBirdSender } from '../src/notifications/messagebird-sender.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { FakeMessageBird } from './support/fake-messagebird.ts';
import { bridgeMessageBirdTo, removeMessageBirdBridge } from './support/messagebird-bridge.ts';
import { makeOrder, orderIdFor } from './support/helpers.ts';

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
  fake.requests.length = 0;
  fake.reply(); // the script is consumed per test
});

const options: DispatcherOptions = { concurrency: 2, maxAttempts: 4, retryBaseMs: 40, retryMaxMs: 200, reportUrl: 'https://desk.example/webhooks/messagebird/status', pollMs: 20 };

function setup(overrides: Partial<DispatcherOptions> = {}, timeoutMs = 1000) {
  const db = openDatabase(':memory:');
  const orders = createOrderRepository(db);
  const messages = createMessageRepository(db);
  const sender = createMessageBirdSender({ apiKey: 'test_key123', originator: 'OmNomNom', timeoutMs });
  const dispatcher = createDispatcher({ messages, sender, logger: pino({ level: 'silent' }) }, { ...options, ...overrides });
  stops.push(() => dispatcher.stop(2000));
  const queue = (label: string) => {
    const id = orderIdFor(label);
    orders.insert(makeOrder({ id, customerName: `Customer ${label}`, phone: '+319876543211' }));
    const result = messages.queue({ orderId: id, orderStatus: 'pending', body: `Hello ${label}`, recipient: '+319876543211', reference: `ref-${label}`, requestedBy: null }, { resend: false });
    return result.message;
  };
  const settled = async (message: Message, states: string[] = ['sent', 'failed', 'delivered']) => {
    await expect.poll(() => messages.findById(message.id)!.state, { timeout: 5000, interval: 10 }).toSatisfy((state: string) => states.includes(state));
    return messages.findById(message.id)!;
  };
  return { db, messages, dispatcher, queue, settled };
}

describe('retryDelayMs', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const limits = { retryBaseMs: 1000, retryMaxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, limits, () => 0.999_999))).toEqual([999, 1999, 3999, 7999, 9999, 9999]);
    expect(retryDelayMs(3, limits, () => 0)).toBe(0);
  });
});

describe('the dispatcher, against a fake MessageBird', () => {
  it('sends a queued message once, with the exact request, and records the provider id', async () => {
    const { dispatcher, queue, settled } = setup();
    const message = queue('a');
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

  it('retries after a 500 and then succeeds', async () => {
    fake.reply({ status: 500, body: { errors: [{ code: 99, description: 'Internal error' }] } });
    const { dispatcher, queue, settled } = setup();
    const message = queue('a');
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'sent', attempts: 2, errorDescription: null });
    expect(fake.requests).toHaveLength(2);
    // Full jitter: the wait before attempt 2 is at most retryBaseMs (plus the poll interval and slack).
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeLessThan(options.retryBaseMs + options.pollMs! + 500);
  });

  it('retries a 429 and a cut connection', async () => {
    fake.reply({ status: 429, body: { errors: [{ code: 429, description: 'Too many requests' }] } }, { reset: true });
    const { dispatcher, queue, settled } = setup();
    const message = queue('a');
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'sent', attempts: 3 });
  });

  it('gives up after the last attempt and keeps the reason', async () => {
    fake.fallback = () => ({ status: 503 });
    const { dispatcher, queue, settled } = setup({ maxAttempts: 3 });
    const message = queue('a');
    dispatcher.start();
    const done = await settled(message);
    fake.fallback = (request) => ({ status: 201, body: { id: `mb-${fake.requests.indexOf(request) + 1}` } });
    expect(done).toMatchObject({ state: 'failed', attempts: 3, errorDescription: 'MessageBird answered HTTP 503' });
    expect(fake.requests).toHaveLength(3);
    const gaps = fake.requests.slice(1).map((request, index) => request.at - fake.requests[index]!.at);
    // Ceilings 40 ms then 80 ms, plus generous slack for a busy machine; a wrong unit or missing cap would be seconds off.
    expect(gaps[0]).toBeLessThan(40 + 500);
    expect(gaps[1]).toBeLessThan(80 + 500);
  });

  it('retries a timeout', async () => {
    fake.reply({ status: 201, body: { id: 'slow' }, delayMs: 1500 });
    const { dispatcher, queue, settled } = setup({}, 300);
    const message = queue('a');
    dispatcher.start();
    const done = await settled(message);
    expect(done.state).toBe('sent');
    expect(done.attempts).toBe(2);
  });

  it('tries a 422 exactly once and keeps each error description', async () => {
    fake.reply({ status: 422, body: { errors: [
      { code: 9, description: 'no (correct) recipients found', parameter: 'recipients' },
      { code: 2, description: 'originator is too long', parameter: 'originator' },
    ] } });
    const { dispatcher, queue, settled } = setup();
    const message = queue('a');
    dispatcher.start();
    const done = await settled(message);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(done).toMatchObject({ state: 'failed', attempts: 1, errorCode: 9, errorDescription: 'no (correct) recipients found\noriginator is too long' });
    expect(fake.requests).toHaveLength(1);
  });

  it('never has more sends in flight than the concurrency limit', async () => {
    fake.fallback = (request) => ({ status: 201, body: { id: request.body.reference }, delayMs: 60 });
    const { dispatcher, queue, settled, messages } = setup({ concurrency: 2 });
    const queued = ['a', 'b', 'c', 'd', 'e'].map(queue);
    let peak = 0;
    const watch = setInterval(() => { peak = Math.max(peak, queued.filter((m) => messages.findById(m.id)!.state === 'sending').length); }, 5);
    dispatcher.start();
    for (const message of queued) await settled(message);
    clearInterval(watch);
    fake.fallback = (request) => ({ status: 201, body: { id: `mb-${fake.requests.indexOf(request) + 1}` } });
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2);
    expect(fake.requests).toHaveLength(5);
  });

  it('sends again, once, a message a crash left in "sending"', async () => {
    const { db, dispatcher, queue, settled, messages } = setup();
    const message = queue('a');
    db.prepare("UPDATE messages SET state = 'sending', attempts = 1 WHERE id = ?").run(message.id);
    dispatcher.start();
    expect(await settled(message)).toMatchObject({ state: 'sent', attempts: 2 });
    expect(fake.requests).toHaveLength(1);
    expect(messages.findById(message.id)!.state).toBe('sent');
  });

  it('waits for sends in flight when stopping, within the bound', async () => {
    fake.reply({ status: 201, body: { id: 'x' }, delayMs: 200 });
    const { dispatcher, queue, messages } = setup();
    const message = queue('a');
    dispatcher.start();
    await expect.poll(() => messages.findById(message.id)!.state).toBe('sending');
    expect(await dispatcher.stop(2000)).toBe(0);
    expect(messages.findById(message.id)!.state).toBe('sent');
  });

  it('takes no new work after stopping', async () => {
    const { dispatcher, queue, messages } = setup();
    dispatcher.start();
    await dispatcher.stop(100);
    const message = queue('a');
    dispatcher.kick();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(messages.findById(message.id)!.state).toBe('queued');
    expect(fake.requests).toHaveLength(0);
  });
});
