import { expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { createRateLimiter } from '../src/api/rate-limiter.ts';
import { pino } from 'pino';
import supertest from 'supertest';
import { createApp } from '../src/app.ts';
import { createDispatcher } from '../src/notifications/dispatcher.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { describeEngines, openTestDatabase } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, FakeSmsSender, testConfig, testPasswords } from './support/helpers.ts';

const body = { externalId: 'shop-1042', customer: { name: 'Ada', phone: '+31612345678' }, items: ['2 x Margherita'], note: 'no onions' };

async function apiApp(engine: TestEngine, overrides: Record<string, string> = {}) {
  const test = await createTestApp({ engine, config: testConfig(overrides) });
  const apiKeys = createApiKeyRepository(test.database);
  const { key, apiKey } = (await apiKeys.create({ name: 'webshop', createdBy: null }))!;
  const api = supertest(test.app);
  const post = (payload: unknown = body, token = key) =>
    api.post('/api/orders').set('Authorization', `Bearer ${token}`).send(payload as object);
  const get = (path: string, token = key) => api.get(path).set('Authorization', `Bearer ${token}`);
  return { ...test, apiKeys, key, apiKey, api, post, get };
}

function expectProblem(response: { status: number; headers: Record<string, string>; body: Record<string, unknown> }, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ type: 'about:blank', status, title: expect.any(String), detail: expect.any(String) });
}

describeEngines('POST /api/orders', (engine) => {
  it('creates a pending order and answers 201 with it and its Location', async () => {
    const { post, orders } = await apiApp(engine);

    const response = await post().expect(201);

    expect(response.body).toMatchObject({
      number: 1, status: 'pending', externalId: 'shop-1042', customer: { name: 'Ada', phone: '+31612345678' },
      items: ['2 x Margherita'], note: 'no onions', deliveredAt: null, history: [{ status: 'pending' }], messages: [],
    });
    expect(response.body.id).toMatch(/^[0-9a-f]{32}$/);
    expect(response.headers.location).toBe(`/api/orders/${response.body.id}`);
    expect(await orders.findById(response.body.id)).toMatchObject({ customerName: 'Ada', status: 'pending', externalId: 'shop-1042' });
  });

  it('reads a national number with DEFAULT_COUNTRY and answers it in E.164', async () => {
    const { post } = await apiApp(engine, { DEFAULT_COUNTRY: 'NL' });
    const response = await post({ ...body, customer: { name: 'Ada', phone: '06-12345678' } }).expect(201);
    expect(response.body.customer.phone).toBe('+31612345678');
  });

  it('answers a repeat with the same body 200 with the existing order, and makes no second one', async () => {
    const { post, orders } = await apiApp(engine);
    const first = await post().expect(201);

    const again = await post().expect(200);

    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.location).toBe(first.headers.location);
    expect(await orders.count()).toBe(1);
  });

  it('makes one order from ten identical requests sent at once', async () => {
    const { post, orders } = await apiApp(engine);

    const responses = await Promise.all(Array.from({ length: 10 }, () => post()));

    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    expect(await orders.count()).toBe(1);
  });

  it('answers 409 problem+json to the same externalId with a different body, and changes nothing', async () => {
    const { post, orders } = await apiApp(engine);
    const first = await post().expect(201);

    const response = await post({ ...body, items: ['3 x Margherita'] });

    expectProblem(response, 409);
    expect(response.body.detail).toContain('shop-1042');
    expect(response.headers.location).toBe(first.headers.location);
    expect((await orders.findById(first.body.id))!.items).toBe('2 x Margherita');
    expect(await orders.count()).toBe(1);
  });

  it('takes a delivery address on one line, answers it, and leaves it null for pick-up', async () => {
    const { post, orders } = await apiApp(engine);

    const delivered = await post({ ...body, deliveryAddress: 'Kerkstraat 12\n1017 GC Amsterdam' }).expect(201);
    const pickedUp = await post({ ...body, externalId: 'shop-1043' }).expect(201);

    expect(delivered.body.deliveryAddress).toBe('Kerkstraat 12, 1017 GC Amsterdam');
    expect((await orders.findById(delivered.body.id))!.deliveryAddress).toBe('Kerkstraat 12, 1017 GC Amsterdam');
    expect(pickedUp.body.deliveryAddress).toBeNull();
  });

  it('answers 409 to the same externalId with another delivery address, and keeps the first', async () => {
    const { post, orders } = await apiApp(engine);
    const first = await post({ ...body, deliveryAddress: 'Kerkstraat 12, Amsterdam' }).expect(201);

    expectProblem(await post({ ...body, deliveryAddress: 'Damrak 1, Amsterdam' }), 409);
    expectProblem(await post(body), 409);

    await post({ ...body, deliveryAddress: 'Kerkstraat 12, Amsterdam' }).expect(200);
    expect((await orders.findById(first.body.id))!.deliveryAddress).toBe('Kerkstraat 12, Amsterdam');
    expect(await orders.count()).toBe(1);
  });

  it('refuses a delivery address that is not text or too long with 422, naming it', async () => {
    const { post, orders } = await apiApp(engine);

    const notText = await post({ ...body, deliveryAddress: { street: 'Kerkstraat' } });
    const tooLong = await post({ ...body, deliveryAddress: 'x'.repeat(301) });

    expectProblem(notText, 422);
    expect(notText.body.errors).toEqual([{ pointer: '#/deliveryAddress', detail: 'The delivery address must be text.' }]);
    expectProblem(tooLong, 422);
    expect(tooLong.body.errors).toEqual([{ pointer: '#/deliveryAddress', detail: 'Keep the address to 300 characters.' }]);
    expect(await orders.count()).toBe(0);
  });

  it('refuses bad JSON with 400 problem+json', async () => {
    const { api, key, orders } = await apiApp(engine);
    const response = await api.post('/api/orders').set('Authorization', `Bearer ${key}`).set('Content-Type', 'application/json').send('{"externalId": "shop-1042",');
    expectProblem(response, 400);
    expect(response.body.detail).toBe('The body is not valid JSON.');
    expect(await orders.count()).toBe(0);
  });

  it('names the field path of every problem with 422 problem+json', async () => {
    const { post, orders } = await apiApp(engine);

    const response = await post({ customer: { name: '', phone: '020 123 4567', email: 'ada@example.com' }, items: ['2 x Margherita', ''], notes: 'typo' });

    expectProblem(response, 422);
    expect(response.body.errors).toEqual([
      { pointer: '#/externalId', detail: expect.stringContaining('externalId') },
      { pointer: '#/customer/name', detail: 'Enter the customer’s name.' },
      { pointer: '#/customer/phone', detail: 'That number cannot receive text messages (it is not a mobile number).' },
      { pointer: '#/customer/email', detail: 'This field is not part of an order.' },
      { pointer: '#/items/1', detail: 'An item cannot be empty.' },
      { pointer: '#/notes', detail: 'This field is not part of an order.' },
    ]);
    expect(await orders.count()).toBe(0);
  });

  it.each([
    ['an empty object', {}, ['#/externalId', '#/customer', '#/items']],
    ['an array', [], ['#/']],
    ['items that are not a list', { ...body, items: '2 x Margherita' }, ['#/items']],
    ['an invalid phone number', { ...body, customer: { name: 'Ada', phone: '12' } }, ['#/customer/phone']],
  ])('refuses %s with 422 and the paths of the missing fields', async (_case, payload, pointers) => {
    const { post, orders } = await apiApp(engine);
    const response = await post(payload);
    expectProblem(response, 422);
    expect(response.body.errors.map((error: { pointer: string }) => error.pointer)).toEqual(pointers);
    expect(await orders.count()).toBe(0);
  });

  it('refuses JSON that is not an object with 422 pointing at the whole body', async () => {
    const { api, key } = await apiApp(engine);
    const response = await api.post('/api/orders').set('Authorization', `Bearer ${key}`).set('Content-Type', 'application/json').send('"2 x Margherita"');
    expectProblem(response, 422);
    expect(response.body.errors).toEqual([{ pointer: '#/', detail: 'The body must be a JSON object.' }]);
  });

  it('refuses a body over 16 kB with 413 problem+json', async () => {
    const { post, orders } = await apiApp(engine);
    const response = await post({ ...body, note: 'x'.repeat(17 * 1024) });
    expectProblem(response, 413);
    expect(await orders.count()).toBe(0);
  });

  it('refuses a body that is not JSON with 415 problem+json', async () => {
    const { api, key, orders } = await apiApp(engine);
    const response = await api.post('/api/orders').set('Authorization', `Bearer ${key}`).type('form').send({ externalId: 'shop-1042' });
    expectProblem(response, 415);
    expect(await orders.count()).toBe(0);
  });

  it('needs no session and no CSRF token', async () => {
    const { post } = await apiApp(engine);
    const response = await post().expect(201);
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});

describeEngines('API keys on /api', (engine) => {
  it.each([
    ['no Authorization header', undefined],
    ['a wrong key', 'Bearer od_live_notAKeyAtAll'],
    ['a key that is not Bearer', 'Basic d2ViOnNob3A='],
  ])('answers 401 problem+json to %s and creates nothing', async (_case, header) => {
    const { api, orders } = await apiApp(engine);
    const request = api.post('/api/orders').send(body);
    if (header) request.set('Authorization', header);
    const response = await request;
    expectProblem(response, 401);
    expect(response.headers['www-authenticate']).toContain('Bearer');
    expect(await orders.count()).toBe(0);
  });

  it('answers 401 to a revoked key', async () => {
    const { post, apiKeys, apiKey, orders } = await apiApp(engine);
    await post({ ...body, externalId: 'before' }).expect(201);
    await apiKeys.revoke(apiKey.id);
    const response = await post();
    expectProblem(response, 401);
    expect(response.body.detail).toBe('This API key is unknown or has been revoked.');
    expect(await orders.count()).toBe(1);
  });

  it('stores only a hash of the key', async () => {
    const { database, key } = await apiApp(engine);
    const stored = JSON.stringify(await database.all('SELECT * FROM api_keys'));
    expect(key).toMatch(/^od_live_[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(key.slice('od_live_'.length));
    expect(stored).toContain(key.slice(0, 14));
  });

  it('answers 429 problem+json with Retry-After once a key sends more than its limit at once', async () => {
    const { post, orders } = await apiApp(engine, { API_RATE_LIMIT_PER_MINUTE: '5' });

    const responses = await Promise.all(Array.from({ length: 20 }, (_, index) => post({ ...body, externalId: `shop-${index}` })));

    const refused = responses.filter((response) => response.status === 429);
    expect(refused).toHaveLength(15);
    expect(responses.filter((response) => response.status === 201)).toHaveLength(5);
    for (const response of refused) {
      expectProblem(response, 429);
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    expect(await orders.count()).toBe(5);
  });

  it('counts each key on its own', async () => {
    const { post, apiKeys } = await apiApp(engine, { API_RATE_LIMIT_PER_MINUTE: '1' });
    const other = (await apiKeys.create({ name: 'till', createdBy: null }))!;
    await post({ ...body, externalId: 'a' }).expect(201);
    await post({ ...body, externalId: 'b' }).expect(429);
    await post({ ...body, externalId: 'c' }, other.key).expect(201);
  });
});

describeEngines('rate limiter', (engine) => {
  it('allows the limit again once the window has passed, and says how long to wait until then', async () => {
    let now = 0;
    const limiter = createRateLimiter(await openTestDatabase(engine), { limit: 2, windowMs: 60_000, now: () => now });
    expect(await limiter.take(1)).toEqual({ allowed: true });
    expect(await limiter.take(1)).toEqual({ allowed: true });
    now = 15_000;
    expect(await limiter.take(1)).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(await limiter.take(2)).toEqual({ allowed: true });
    now = 60_000;
    expect(await limiter.take(1)).toEqual({ allowed: true });
  });

  it('keeps only the current window’s counts', async () => {
    let now = 0;
    const db = await openTestDatabase(engine);
    const limiter = createRateLimiter(db, { limit: 2, windowMs: 60_000, now: () => now });
    for (let minute = 0; minute < 5; minute += 1) {
      now = minute * 60_000 + 1_000;
      await limiter.take('till');
      await limiter.take('webshop');
    }
    expect(await db.all('SELECT bucket, window_start AS "windowStart", count FROM rate_windows ORDER BY bucket'))
      .toEqual([{ bucket: 'till', windowStart: 240_000, count: 1 }, { bucket: 'webshop', windowStart: 240_000, count: 1 }]);
  });
});

describeEngines('GET /api/orders/:id', (engine) => {
  it('returns the order with its status history and message states', async () => {
    const { post, get, orders, messages } = await apiApp(engine);
    const created = await post().expect(201);
    await orders.updateStatus(created.body.id, 'confirmed', null);
    await messages.queue({ orderId: created.body.id, orderStatus: 'confirmed', body: 'Hello', recipient: '+31612345678', reference: 'ref-1', requestedBy: null }, { resend: false });

    const response = await get(created.headers.location!).expect(200);

    expect(response.body).toMatchObject({
      id: created.body.id, status: 'confirmed',
      history: [{ status: 'pending' }, { status: 'confirmed' }],
      messages: [{ forStatus: 'confirmed', state: expect.any(String) }],
    });
  });

  it.each([
    ['an unknown id', '0123456789abcdef0123456789abcdef'],
    ['an id not of 32 lowercase hex', 'c2972b5b4eef349fb1e5cc3e3150a2b6'.toUpperCase()],
    ['an id far too long', 'a'.repeat(500)],
  ])('answers 404 problem+json for %s', async (_case, id) => {
    const { get } = await apiApp(engine);
    expectProblem(await get(`/api/orders/${id}`), 404);
  });

  it('needs a key', async () => {
    const { api } = await apiApp(engine);
    expectProblem(await api.get('/api/orders/0123456789abcdef0123456789abcdef'), 401);
  });
});

describeEngines('other /api addresses', (engine) => {
  it('answers an unknown address with 404 problem+json, never HTML', async () => {
    const { get } = await apiApp(engine);
    expectProblem(await get('/api/nothing-here'), 404);
  });

  it('answers a failure with 500 problem+json without the internals in production', async () => {
    const { post, database } = await apiApp(engine, { NODE_ENV: 'production' });
    // PostgreSQL refuses to drop a table that messages' foreign key names, unless told to CASCADE.
    await database.run(database.pick({ sqlite: 'DROP TABLE order_status_changes', postgres: 'DROP TABLE order_status_changes CASCADE' }));
    const response = await post();
    expectProblem(response, 500);
    expect(response.body.detail).toBe('Something went wrong on our side. Please try again.');
  });
});

describeEngines('GET /api/openapi.json', (engine) => {
  it('describes the API in OpenAPI 3.1 with the schemas the API validates with', async () => {
    const { api } = await apiApp(engine);
    const response = await api.get('/api/openapi.json').expect(200).expect('content-type', /json/);
    const document = response.body;
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(['/api/orders', '/api/intake', '/api/orders/{orderId}', '/api/orders/{orderId}/cancel']);
    const newOrder = document.components.schemas.NewOrder;
    expect(newOrder.required).toEqual(['externalId', 'customer', 'items']);
    expect(newOrder.additionalProperties).toBe(false);
    expect(newOrder.properties.items).toMatchObject({ type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', maxLength: 200 } });
    expect(newOrder.properties.customer.properties.phone.type).toBe('string');
    expect(newOrder.properties.deliveryAddress).toMatchObject({ type: 'string' });
    expect(document.components.schemas.Order.properties.deliveryAddress).toBeDefined();
    expect(document.components.schemas.Order.properties.number).toBeDefined();
    expect(document.components.schemas.Problem.properties.errors).toBeDefined();
    // The status updates posted to the shop, with their signature headers.
    expect(Object.keys(document.webhooks)).toEqual(['orderStatusChanged', 'orderCorrected', 'intakePaused', 'intakeResumed', 'webhookTest']);
    const statusChanged = document.webhooks.orderStatusChanged.post;
    expect(statusChanged.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/StatusChangedEvent');
    expect(statusChanged.parameters.map((header: { name: string }) => header.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(document.components.schemas.StatusChangedEvent.properties.data.required).toContain('sequence');
  });
});

describeEngines('logging', (engine) => {
  it('names the key by its prefix in the request log, never the key itself', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info', redact: ['req.headers.authorization'] }, { write: (line: string) => { lines.push(line); } });
    const config = testConfig();
    const database = await openTestDatabase(engine);
    const messages = createMessageRepository(database);
    const dispatcher = createDispatcher({ messages, sender: new FakeSmsSender(), logger }, { ...config.outbox, reportUrl: undefined });
    const app = await createApp({ config, database, dispatcher, logger, passwords: testPasswords });
    const { key, apiKey } = (await createApiKeyRepository(database).create({ name: 'webshop', createdBy: null }))!;

    await supertest(app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(body).expect(201);
    await supertest(app).post('/api/orders').set('Authorization', 'Bearer od_live_wrongwrongwrongwrong').send(body).expect(401);

    const log = lines.join('');
    expect(log).not.toContain(key);
    const completed = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request completed');
    expect(completed[0]).toMatchObject({ apiKeyPrefix: apiKey.prefix, res: { statusCode: 201 } });
    expect(log).toContain('"apiKeyPrefix":"od_live_wrongw"');
  });
});
