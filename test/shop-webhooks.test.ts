import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import supertest from 'supertest';
import { afterEach, expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import type { Database } from '../src/db/database.ts';
import { createOrderRepository, orderDigest } from '../src/orders/order-repository.ts';
import { orderCorrectedEvent, statusChangedEvent, testEvent } from '../src/webhooks/webhook-events.ts';
import { createWebhookRepository } from '../src/webhooks/webhook-repository.ts';
import { createWebhookSender } from '../src/webhooks/webhook-sender.ts';
import type { WebhookSenderOptions } from '../src/webhooks/webhook-sender.ts';
import { createTestLocation, describeEngines, openTestDatabase } from './support/engines.ts';
import { FakeShop } from './support/fake-shop.ts';
import { createTestApp } from './support/helpers.ts';
import { startServer } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';

const silent = pino({ level: 'silent' });
const shops: FakeShop[] = [];
const servers: ServerProcess[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await Promise.all(shops.splice(0).map((shop) => shop.close()));
});

async function startShop(): Promise<FakeShop> {
  const shop = await FakeShop.start();
  shops.push(shop);
  return shop;
}

type Event = { type: string; timestamp: string; data: Record<string, unknown> };
const eventOf = (body: string) => JSON.parse(body) as Event;

/** A database with a shop's key pointed at `url`, and an order that key sent. */
async function shopWithOrder(db: Database, url: string | undefined, externalId = 'shop-1042') {
  const apiKeys = createApiKeyRepository(db);
  const deliveries = createWebhookRepository(db);
  const orders = createOrderRepository(db);
  const { apiKey } = (await apiKeys.create({ name: `webshop ${externalId}`, createdBy: null }))!;
  const secret = url ? (await deliveries.setUrl(apiKey.id, url))!.newSecret! : undefined;
  const created = await orders.create({ externalId, customerName: 'Ada', phone: '+31612345678', items: ['2 x Margherita'], note: null, deliveryAddress: null, formToken: null, createdBy: null, apiKeyId: apiKey.id });
  if (created.outcome !== 'created') throw new Error('the order was not made');
  return { apiKey, secret, orders, deliveries, order: created.order };
}

/** `count` more orders from the same shop (shop-1, shop-2 …); their ids. */
async function moreOrders(orders: ReturnType<typeof createOrderRepository>, apiKeyId: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 1; index <= count; index += 1) {
    const made = await orders.create({ externalId: `shop-${index}`, customerName: 'Ada', phone: '+31612345678', items: ['1 x Pizza'], note: null, deliveryAddress: null, formToken: null, createdBy: null, apiKeyId });
    ids.push(made.order.id);
  }
  return ids;
}

function senderFor(db: Database, options: WebhookSenderOptions = {}) {
  const sender = createWebhookSender({ deliveries: createWebhookRepository(db), logger: silent }, { timeoutMs: 2000, retryWaitsMs: [0, 0, 0], ...options });
  return sender;
}

describeEngines('status updates to the shop', (engine) => {
  it('post a status change of a shop’s order to its address, signed so the Standard Webhooks library verifies it', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    const { secret, orders, deliveries, order } = await shopWithOrder(db, shop.url);

    await orders.updateStatus(order.id, 'confirmed', null);
    await senderFor(db).drain();

    expect(shop.received).toHaveLength(1);
    const [request] = shop.received;
    expect(request!.path).toBe('/hooks/order-desk');
    expect(request!.headers['content-type']).toBe('application/json');
    // The library a shop would use: it throws on a wrong signature, a stale timestamp or a missing header.
    const verified = new Webhook(secret!).verify(request!.body, request!.headers as Record<string, string>) as Event;
    expect(verified.type).toBe('order.status_changed');
    // As the API description documents it.
    expect(statusChangedEvent.strict().safeParse(verified).error).toBeUndefined();
    expect(verified.data).toMatchObject({
      orderId: order.id, externalId: 'shop-1042', number: order.number, status: 'confirmed', previousStatus: 'pending', reason: null, expectedAt: null,
    });
    const history = await orders.history(order.id);
    expect(verified.data.changedAt).toBe(history[1]!.changedAt);
    expect(verified.timestamp).toBe(history[1]!.changedAt);
    expect(verified.data.sequence).toEqual(expect.any(Number));
    const [delivery] = await deliveries.forOrder(order.id);
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200, lastError: null, eventId: request!.headers['webhook-id'] });
  });

  it('make nothing for the order coming in, for an order typed in by staff, or for a key without an address', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    const { orders, deliveries, order } = await shopWithOrder(db, undefined);
    const typedIn = await orders.create({ externalId: null, customerName: 'Bea', phone: '+31612345679', items: ['1 x Pizza'], note: null, deliveryAddress: null, formToken: 'form-1', createdBy: null, apiKeyId: null });

    await orders.updateStatus(order.id, 'confirmed', null);
    await orders.updateStatus(typedIn.order.id, 'confirmed', null);
    await senderFor(db).drain();

    expect(shop.received).toEqual([]);
    expect(await deliveries.forOrder(order.id)).toEqual([]);
    expect(await deliveries.forOrder(typedIn.order.id)).toEqual([]);
  });

  it('tell the shop of a correction made in the kitchen, field by field as the API names them, with the new version', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    const { secret, orders, order } = await shopWithOrder(db, shop.url);

    const edited = await orders.edit(order.id, { ...order, deliveryAddress: 'Kerkstraat 12', items: '2 x Margherita\n1 x Tiramisu' }, orderDigest(order), null);
    await senderFor(db).drain();

    expect(edited?.outcome).toBe('edited');
    const event = orderCorrectedEvent.strict().parse(new Webhook(secret!).verify(shop.received[0]!.body, shop.received[0]!.headers as Record<string, string>));
    expect(event.data).toMatchObject({ orderId: order.id, externalId: 'shop-1042', number: order.number, version: orderDigest((await orders.findById(order.id))!) });
    expect(event.data.changes).toEqual([
      { field: 'deliveryAddress', before: null, after: 'Kerkstraat 12' },
      { field: 'items', before: ['2 x Margherita'], after: ['2 x Margherita', '1 x Tiramisu'] },
    ]);
  });

  it('make no event for a change that rolled back, and one for the change that committed', async () => {
    const db = await openTestDatabase(engine);
    const { orders, deliveries, order } = await shopWithOrder(db, 'https://shop.example/hooks');

    await expect(db.transaction(async () => {
      await orders.updateStatus(order.id, 'confirmed', null);
      throw new Error('the disk filled up');
    })).rejects.toThrow('the disk filled up');
    expect(await deliveries.forOrder(order.id)).toEqual([]);

    await orders.updateStatus(order.id, 'confirmed', null);
    expect((await deliveries.forOrder(order.id)).map((delivery) => delivery.state)).toEqual(['pending']);
  });

  it('tell the shop a delay’s new expected time and a cancel’s reason, each change a higher sequence', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    const { orders, order } = await shopWithOrder(db, shop.url);

    await orders.updateStatus(order.id, 'delayed', null, undefined, { minutes: 20, lateAfterMinutes: 30 });
    await orders.updateStatus(order.id, 'cancelled', null, undefined, undefined, 'Out of dough');
    await senderFor(db).drain();

    const events = shop.received.map((request) => eventOf(request.body)).sort((a, b) => Number(a.data.sequence) - Number(b.data.sequence));
    expect(events.map((event) => [event.data.previousStatus, event.data.status])).toEqual([['pending', 'delayed'], ['delayed', 'cancelled']]);
    expect(events[0]!.data.expectedAt).toBe((await orders.findById(order.id))!.expectedAt);
    expect(events[0]!.data.expectedAt).not.toBeNull();
    expect(events[1]!.data.reason).toBe('Out of dough');
    expect(Number(events[1]!.data.sequence)).toBeGreaterThan(Number(events[0]!.data.sequence));
  });

  it('send the same event again, under the same id, until the shop’s server answers 2xx', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    shop.answer = (_request, index) => ({ status: index < 2 ? 500 : 204 });
    const { secret, orders, deliveries, order } = await shopWithOrder(db, shop.url);

    await orders.updateStatus(order.id, 'confirmed', null);
    await senderFor(db, { retryWaitsMs: [20, 20, 20] }).drain();
    // drain() sends what is due now; the retries come due 20 ms apart.
    for (let round = 0; round < 20 && shop.received.length < 3; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      await senderFor(db, { retryWaitsMs: [20, 20, 20] }).drain();
    }

    expect(shop.received).toHaveLength(3);
    expect(new Set(shop.ids()).size).toBe(1);
    expect(new Set(shop.received.map((request) => request.body)).size).toBe(1);
    for (const request of shop.received) new Webhook(secret!).verify(request.body, request.headers as Record<string, string>);
    expect((await deliveries.forOrder(order.id))[0]).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 204 });
  });

  it('give up after the last attempt, saying what the shop answered, and send it again when an admin asks', async () => {
    const shop = await startShop();
    shop.answer = () => ({ status: 503 });
    const { database: db, signIn } = await createTestApp({ engine });
    const { apiKey, orders, deliveries, order } = await shopWithOrder(db, shop.url);

    await orders.updateStatus(order.id, 'confirmed', null);
    const sender = senderFor(db, { retryWaitsMs: [0] });
    await sender.drain();

    const [gaveUp] = await deliveries.forOrder(order.id);
    expect(gaveUp).toMatchObject({ state: 'failed', attempts: 2, lastStatus: 503, lastError: 'answered HTTP 503', nextAttemptAt: null });
    const admin = await signIn('boss', 'admin');
    const page = await admin.refreshToken('/api-keys');
    expect(page.text).toContain('1 gave up');
    expect(page.text).toContain('answered HTTP 503');
    // Each Send again button names its update for a screen reader: there may be several.
    expect(page.text).toContain(`Send again<span class="visually-hidden">: the update about #${order.number} made `);

    shop.answer = () => ({ status: 200 });
    await admin.post(`/api-keys/${apiKey.id}/deliveries/${gaveUp!.id}/send-again`).expect(303).expect('location', `/api-keys#key-${apiKey.id}`);
    await sender.drain();

    expect(shop.received).toHaveLength(3);
    expect(new Set(shop.ids()).size).toBe(1);
    expect((await deliveries.forOrder(order.id))[0]).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200 });
  });

  it('cut off a shop’s server that never answers at the time limit, and send the event again', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    shop.answer = (_request, index) => (index === 0 ? 'hang' : { status: 200 });
    const { orders, deliveries, order } = await shopWithOrder(db, shop.url);

    await orders.updateStatus(order.id, 'confirmed', null);
    const started = Date.now();
    await senderFor(db, { timeoutMs: 300, retryWaitsMs: [0] }).drain();

    expect(Date.now() - started).toBeLessThan(5000);
    expect(shop.received).toHaveLength(2);
    expect(new Set(shop.ids()).size).toBe(1);
    expect((await deliveries.forOrder(order.id))[0]).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('say that nothing listens at the address, and try again later', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    const closedAddress = shop.url;
    await shop.close();
    const { orders, deliveries, order } = await shopWithOrder(db, closedAddress);

    await orders.updateStatus(order.id, 'confirmed', null);
    await senderFor(db, { retryWaitsMs: [60_000] }).drain();

    const [delivery] = await deliveries.forOrder(order.id);
    expect(delivery).toMatchObject({ state: 'pending', attempts: 1, lastStatus: null, lastError: 'fetch failed: ECONNREFUSED' });
    expect(Date.parse(delivery!.nextAttemptAt!) - Date.now()).toBeGreaterThan(50_000);
  });

  it('follow no redirect: the event goes only to the address the admin gave', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    shop.answer = (request) => (request.path === '/hooks/order-desk' ? { status: 307, location: '/elsewhere' } : { status: 200 });
    const { orders, deliveries, order } = await shopWithOrder(db, shop.url);

    await orders.updateStatus(order.id, 'confirmed', null);
    await senderFor(db, { retryWaitsMs: [] }).drain();

    expect(shop.received.map((request) => request.path)).toEqual(['/hooks/order-desk']);
    expect((await deliveries.forOrder(order.id))[0]).toMatchObject({ state: 'failed', lastStatus: 307, lastError: 'answered HTTP 307' });
  });

  it('send an event whose sender died mid-send again once its claim runs out, under the same id', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    const { orders, deliveries, order } = await shopWithOrder(db, shop.url);
    await orders.updateStatus(order.id, 'confirmed', null);

    // A process claims it and is never heard of again (killed between the claim and the answer).
    expect(await deliveries.claim('dead-process', 10, 150)).toHaveLength(1);
    const survivor = senderFor(db);
    await survivor.drain();
    expect(shop.received).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, 200));
    await survivor.drain();
    expect(shop.received).toHaveLength(1);
    expect((await deliveries.forOrder(order.id))[0]).toMatchObject({ state: 'delivered', attempts: 2, eventId: shop.ids()[0] });
  });

  it('send nothing once the key’s updates are turned off or the key is revoked, and say why', async () => {
    const shop = await startShop();
    const { database: db, signIn } = await createTestApp({ engine });
    const first = await shopWithOrder(db, shop.url, 'shop-1');
    await first.orders.updateStatus(first.order.id, 'confirmed', null);
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');

    await admin.post(`/api-keys/${first.apiKey.id}/webhook/off`).expect(303);
    await senderFor(db).drain();

    expect(shop.received).toEqual([]);
    expect((await first.deliveries.forOrder(first.order.id))[0]).toMatchObject({ state: 'cancelled', lastError: 'Not sent: status updates were turned off for this key' });
    await first.orders.updateStatus(first.order.id, 'delivered', null);
    expect(await first.deliveries.forOrder(first.order.id)).toHaveLength(1);

    // Revoked while an event waits: that one is not sent either.
    const { apiKey, orders, deliveries, order } = await shopWithOrder(db, shop.url, 'shop-2');
    await orders.updateStatus(order.id, 'confirmed', null);
    await admin.post(`/api-keys/${apiKey.id}/revoke`).expect(303);
    await senderFor(db).drain();
    expect(shop.received).toEqual([]);
    expect((await deliveries.forOrder(order.id))[0]).toMatchObject({ state: 'cancelled', lastError: 'Not sent: the API key was revoked' });
  });

  it('cut a hanging attempt short at stop and leave it due at once for the next process', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    shop.answer = (_request, index) => (index === 0 ? 'hang' : { status: 200 });
    const { orders, deliveries, order } = await shopWithOrder(db, shop.url);
    await orders.updateStatus(order.id, 'confirmed', null);

    const stopping = senderFor(db, { timeoutMs: 60_000, pollMs: 10 });
    stopping.start();
    for (let tries = 0; tries < 200 && shop.received.length === 0; tries += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const stopped = Date.now();
    await stopping.stop(100);
    expect(Date.now() - stopped).toBeLessThan(5000);
    expect((await deliveries.forOrder(order.id))[0]).toMatchObject({ state: 'pending', attempts: 1, lastError: 'the server stopped before the shop answered' });

    await senderFor(db).drain();
    expect(shop.received).toHaveLength(2);
    expect((await deliveries.forOrder(order.id))[0]).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('reach the shop right after a status change on the board, not at the sender’s next look', async () => {
    const shop = await startShop();
    // The app wakes the sender made below (after the app, on its database).
    const { database: db, signIn } = await createTestApp({ engine, webhookSender: { wake: () => sender.wake() } });
    // Its next look would be a minute away: only the board's wake can send it sooner.
    const sender = senderFor(db, { pollMs: 60_000 });
    const { order } = await shopWithOrder(db, shop.url);
    sender.start();
    const cook = await signIn('cook');

    await cook.post(`/orders/${order.id}/status`).send({ status: 'confirmed', expectedStatus: 'pending' }).expect(303);
    for (let tries = 0; tries < 100 && shop.received.length === 0; tries += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    await sender.stop();

    expect(shop.received).toHaveLength(1);
    expect(eventOf(shop.received[0]!.body).data).toMatchObject({ orderId: order.id, status: 'confirmed' });
  });

  it('delete finished deliveries once they are older than they are kept, never one still to send', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    const { orders, apiKey, deliveries } = await shopWithOrder(db, shop.url, 'shop-0');
    const ids = await moreOrders(orders, apiKey.id, 4);
    for (const id of ids) await orders.updateStatus(id, 'confirmed', null);
    await senderFor(db).drain();
    // Two more made 40 days ago: one delivered then, one still waiting (its shop was down since).
    for (const id of ids.slice(0, 2)) await orders.updateStatus(id, 'delivered', null);
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await db.run(`UPDATE webhook_deliveries SET created_at = @old WHERE order_id IN (@first, @second) AND event_id IN
      (SELECT event_id FROM webhook_deliveries WHERE state = 'pending')`, { old, first: ids[0], second: ids[1] });
    await db.run(`UPDATE webhook_deliveries SET state = 'delivered' WHERE order_id = @first AND state = 'pending'`, { first: ids[0] });
    await db.run(`UPDATE webhook_deliveries SET created_at = @old WHERE order_id = @third`, { old, third: ids[2] });

    // The sender sweeps at its first look, with the 30 days it keeps them for.
    await senderFor(db, { keepMs: 30 * 86_400_000, retryWaitsMs: [60_000], fetch: async () => new Response(null, { status: 503 }) }).drain();

    const left = async (id: string) => (await deliveries.forOrder(id)).map((delivery) => delivery.state);
    expect(await left(ids[0]!)).toEqual(['delivered']);
    expect(await left(ids[1]!)).toEqual(['delivered', 'pending']);
    expect(await left(ids[2]!)).toEqual([]);
    expect(await left(ids[3]!)).toEqual(['delivered']);
  });

  it('keep at most `concurrency` attempts in flight', async () => {
    const db = await openTestDatabase(engine);
    const shop = await startShop();
    shop.answer = () => ({ status: 200, delayMs: 30 });
    const { orders, apiKey } = await shopWithOrder(db, shop.url, 'shop-0');
    for (const id of await moreOrders(orders, apiKey.id, 12)) await orders.updateStatus(id, 'confirmed', null);

    await senderFor(db, { concurrency: 3 }).drain();

    expect(shop.received).toHaveLength(12);
    expect(shop.mostOpen).toBe(3);
  });
});

describeEngines('claims on the shops’ status updates', (engine) => {
  it('never give one delivery to two claimers at once, on two connections', async () => {
    const location = await createTestLocation(engine);
    const [one, two] = [await location.open(), await location.open()];
    const { orders, apiKey } = await shopWithOrder(one, 'https://shop.example/hooks', 'shop-0');
    await one.transaction(async () => {
      for (const id of await moreOrders(orders, apiKey.id, 60)) await orders.updateStatus(id, 'confirmed', null);
    });
    const claimers = [createWebhookRepository(one), createWebhookRepository(two)];

    const claims = await Promise.all(Array.from({ length: 30 }, (_, index) => claimers[index % 2]!.claim(`owner-${index}`, 3, 60_000)));

    const ids = claims.flat();
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
  });
});

describeEngines('status updates from two server processes on one database', (engine) => {
  it('reach the shop once each, however the two share the work', async () => {
    const location = await createTestLocation(engine);
    const db = await location.open();
    const shop = await startShop();
    // Slow enough that both processes are sending at once (4 at a time each: about a second in all).
    shop.answer = () => ({ status: 200, delayMs: 100 });
    const env = { ...location.env, ADMIN_USERNAME: 'chef', ADMIN_PASSWORD: 'kitchen-door-blue-42' };
    servers.push(await startServer(env));
    servers.push(await startServer(env));

    const { orders, apiKey } = await shopWithOrder(db, shop.url, 'shop-0');
    const ids = await moreOrders(orders, apiKey.id, 40);
    // Made in one transaction, so both processes find all 40 due at their next look.
    await db.transaction(async () => {
      for (const id of ids) await orders.updateStatus(id, 'confirmed', null);
    });

    for (let tries = 0; tries < 200 && shop.received.length < 40; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    // Time for a second copy of any event to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(shop.received).toHaveLength(40);
    expect(new Set(shop.ids()).size).toBe(40);
    expect(new Set(shop.received.map((request) => eventOf(request.body).data.orderId))).toEqual(new Set(ids));
    const senders = servers.map((server) => (server.output().match(/status update delivered to the shop/g) ?? []).length);
    expect(senders[0]! + senders[1]!).toBe(40);
    console.log(`status updates sent by each process: ${senders.join(' and ')}`);
  }, 30_000);
});

describeEngines('the API keys page’s status updates', (engine) => {
  it('let an admin give a key an address, showing its signing secret once, and send a test update', async () => {
    const shop = await startShop();
    const { database: db, signIn } = await createTestApp({ engine });
    const { apiKey } = (await createApiKeyRepository(db).create({ name: 'webshop', createdBy: null }))!;
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');

    const saved = await admin.post(`/api-keys/${apiKey.id}/webhook`).send({ url: `  ${shop.url}  ` }).expect(200);
    expect(saved.headers['cache-control']).toBe('no-store');
    const secret = /<code id="new-webhook-secret">(whsec_[A-Za-z0-9+/=]+)<\/code>/.exec(saved.text)![1]!;
    const page = await admin.refreshToken('/api-keys');
    expect(page.text).toContain(`value="${shop.url}"`);
    expect(page.text).not.toContain(secret);

    await admin.post(`/api-keys/${apiKey.id}/webhook/test`).expect(303);
    await senderFor(db).drain();

    expect(shop.received).toHaveLength(1);
    const event = new Webhook(secret).verify(shop.received[0]!.body, shop.received[0]!.headers as Record<string, string>) as Event;
    expect(event).toMatchObject({ type: 'webhook.test', data: { apiKey: 'webshop' } });
    expect(testEvent.strict().safeParse(event).error).toBeUndefined();
    const after = await admin.get('/api-keys').expect(200);
    expect(after.text).toMatch(/<td>Test<\/td>\s*<td>Delivered<\/td>/);
  });

  it('show on an order’s page what its shop was told, and whether the shop’s server took it', async () => {
    const shop = await startShop();
    shop.answer = (_request, index) => ({ status: index === 0 ? 200 : 503 });
    const { database: db, signIn } = await createTestApp({ engine });
    const { orders, order } = await shopWithOrder(db, shop.url);
    const typedIn = await orders.create({ externalId: null, customerName: 'Bea', phone: '+31612345679', items: ['1 x Pizza'], note: null, deliveryAddress: null, formToken: 'form-1', createdBy: null, apiKeyId: null });
    await orders.updateStatus(order.id, 'confirmed', null);
    await orders.updateStatus(order.id, 'delayed', null, undefined, { minutes: 20, lateAfterMinutes: 30 });
    await senderFor(db, { retryWaitsMs: [60_000] }).drain();
    const cook = await signIn('cook');

    const page = await cook.get(`/orders/${order.id}`).expect(200);

    expect(page.text).toContain('<h2>Updates to the shop</h2>');
    expect(page.text).toMatch(/pending → confirmed<\/td>\s*<td>Delivered<\/td>\s*<td>1<\/td>\s*<td>HTTP 200/);
    expect(page.text).toMatch(/confirmed → delayed<\/td>\s*<td>Waiting, next try <time[^>]*>[^<]+<\/time><\/td>\s*<td>1<\/td>\s*<td>answered HTTP 503/);
    // Sending again is an admin's, on the API keys page.
    expect(page.text).not.toContain('Send again');
    expect((await cook.get(`/orders/${typedIn.order.id}`).expect(200)).text).not.toContain('Updates to the shop');
  });

  it('keep the secret when the address changes, and make a new one on request that alone signs from then on', async () => {
    const shop = await startShop();
    const { database: db, signIn } = await createTestApp({ engine });
    const { apiKey } = (await createApiKeyRepository(db).create({ name: 'webshop', createdBy: null }))!;
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');
    const first = await admin.post(`/api-keys/${apiKey.id}/webhook`).send({ url: 'https://shop.example/old' }).expect(200);
    const oldSecret = /id="new-webhook-secret">([^<]+)</.exec(first.text)![1]!;

    const moved = await admin.post(`/api-keys/${apiKey.id}/webhook`).send({ url: shop.url }).expect(303);
    expect(moved.headers.location).toBe(`/api-keys#key-${apiKey.id}`);
    await admin.post(`/api-keys/${apiKey.id}/webhook/test`).expect(303);
    await senderFor(db).drain();
    new Webhook(oldSecret).verify(shop.received[0]!.body, shop.received[0]!.headers as Record<string, string>);

    const rotated = await admin.post(`/api-keys/${apiKey.id}/webhook/secret`).expect(200);
    const newSecret = /id="new-webhook-secret">([^<]+)</.exec(rotated.text)![1]!;
    expect(newSecret).not.toBe(oldSecret);
    await admin.post(`/api-keys/${apiKey.id}/webhook/test`).expect(303);
    await senderFor(db).drain();
    const latest = shop.received[1]!;
    new Webhook(newSecret).verify(latest.body, latest.headers as Record<string, string>);
    expect(() => new Webhook(oldSecret).verify(latest.body, latest.headers as Record<string, string>)).toThrow();
  });

  it.each([
    ['ftp://shop.example/hooks', 'must start with https://'],
    ['shop.example/hooks', 'not a web address'],
    ['https://user:secret@shop.example/hooks', 'Leave the user name and password out'],
    ['https://shop.example/hooks#top', 'Leave the #… part out'],
    [`https://shop.example/${'a'.repeat(500)}`, 'Keep the address to 500 characters'],
    ['   ', 'Enter the address'],
  ])('refuse %j as an address, keeping what was typed and changing nothing', async (url, message) => {
    const { database: db, signIn } = await createTestApp({ engine });
    const apiKeys = createApiKeyRepository(db);
    const { apiKey } = (await apiKeys.create({ name: 'webshop', createdBy: null }))!;
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');

    const refused = await admin.post(`/api-keys/${apiKey.id}/webhook`).send({ url }).expect(400);

    expect(refused.text).toContain(message);
    expect(refused.text).toContain('aria-invalid="true"');
    if (url.trim()) expect(refused.text).toContain(`value="${url.replaceAll('&', '&amp;').replaceAll('"', '&#34;')}"`);
    expect((await apiKeys.findById(apiKey.id))!.webhookUrl).toBeNull();
  });

  it('let no one but an admin set an address, and none on a revoked key', async () => {
    const { app, database: db, signIn } = await createTestApp({ engine });
    const apiKeys = createApiKeyRepository(db);
    const { apiKey } = (await apiKeys.create({ name: 'webshop', createdBy: null }))!;
    const cook = await signIn('cook', 'staff');
    await cook.post(`/api-keys/${apiKey.id}/webhook`).send({ url: 'https://shop.example/hooks' }).expect(403);
    await supertest(app).post(`/api-keys/${apiKey.id}/webhook`).type('form').send({ url: 'https://shop.example/hooks' }).expect((response) => {
      expect([302, 303, 401, 403]).toContain(response.status);
    });
    await apiKeys.revoke(apiKey.id);
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');
    const refused = await admin.post(`/api-keys/${apiKey.id}/webhook`).send({ url: 'https://shop.example/hooks' }).expect(409);
    expect(refused.text).toContain('revoked');
    expect((await apiKeys.findById(apiKey.id))!.webhookUrl).toBeNull();
  });
});
