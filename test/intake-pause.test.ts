import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import supertest from 'supertest';
import { afterEach, expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import type { Database } from '../src/db/database.ts';
import { createIntakePauseRepository } from '../src/orders/intake-pauses.ts';
import { intakePausedEvent, intakeResumedEvent } from '../src/webhooks/webhook-events.ts';
import { createWebhookRepository } from '../src/webhooks/webhook-repository.ts';
import { createWebhookSender } from '../src/webhooks/webhook-sender.ts';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { FakeShop } from './support/fake-shop.ts';
import { createTestApp } from './support/helpers.ts';

const shops: FakeShop[] = [];
afterEach(async () => {
  await Promise.all(shops.splice(0).map((shop) => shop.close()));
});

const order = (externalId: string, extra: Record<string, unknown> = {}) => ({ externalId, customer: { name: 'Ada', phone: '+31612345678' }, items: ['2 x Margherita'], ...extra });

/** An app with a signed-in cook and a shop's API key. */
async function kitchenWithShop(engine: TestEngine) {
  const test = await createTestApp({ engine });
  const { key, apiKey } = (await createApiKeyRepository(test.database).create({ name: 'webshop', createdBy: null }))!;
  const cook = await test.signIn('cook');
  await cook.refreshToken('/intake');
  const api = {
    post: (path: string, body: unknown) => supertest(test.app).post(path).set('Authorization', `Bearer ${key}`).send(body as object),
    get: (path: string) => supertest(test.app).get(path).set('Authorization', `Bearer ${key}`),
  };
  return { ...test, cook, api, apiKey };
}

const boardEvents = async (db: Database) => Number(await db.value('SELECT count(*) FROM board_events'));

describeEngines('pausing the online orders', (engine) => {
  it('lets a cook pause them: the API refuses a new order for now with 503, saying until when, and says it is paused', async () => {
    const { cook, api } = await kitchenWithShop(engine);
    await api.post('/api/orders', order('shop-1')).expect(201);

    const paused = await cook.post('/intake/pause').send({ minutes: '30' }).expect(303);
    expect(paused.headers.location).toBe('/');
    const board = await cook.get('/').expect(200);
    expect(board.text).toMatch(/Online orders are paused until \d\d:\d\d/);
    expect(board.text).toMatch(/<a class="badge badge-paused" href="\/intake" data-paused-until="[^"]+">Online orders paused until \d\d:\d\d<\/a>/);

    const refused = await api.post('/api/orders', order('shop-2')).expect(503).expect('content-type', /application\/problem\+json/);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(29 * 60);
    expect(retryAfter).toBeLessThanOrEqual(30 * 60);
    expect(refused.body.detail).toContain('paused online orders until');
    const intake = await api.get('/api/intake').expect(200);
    expect(intake.body.open).toBe(false);
    expect(Date.parse(intake.body.pausedUntil) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(refused.body.detail).toContain(intake.body.pausedUntil);
  });

  it('still takes the retry of an order already taken, and an order for later due after the pause, but not one due before it ends', async () => {
    const { cook, api, orders } = await kitchenWithShop(engine);
    await api.post('/api/orders', order('shop-1')).expect(201);
    await cook.post('/intake/pause').send({ minutes: '60' }).expect(303);

    await api.post('/api/orders', order('shop-1')).expect(200);
    const afterThePause = new Date(Date.now() + 90 * 60_000).toISOString();
    const duringThePause = new Date(Date.now() + 30 * 60_000).toISOString();
    await api.post('/api/orders', order('shop-later', { scheduledFor: afterThePause })).expect(201);
    await api.post('/api/orders', order('shop-soon', { scheduledFor: duringThePause })).expect(503);
    expect(await orders.count()).toBe(2);
  });

  it('opens them again early: orders come in, and the page says who paused and who opened them', async () => {
    const { cook, api, database } = await kitchenWithShop(engine);
    await cook.post('/intake/pause').send({ minutes: '15' }).expect(303);
    await api.post('/api/orders', order('shop-1')).expect(503);

    await cook.post('/intake/resume').expect(303).expect('location', '/');

    await api.post('/api/orders', order('shop-1')).expect(201);
    expect((await api.get('/api/intake').expect(200)).body).toEqual({ open: true, pausedUntil: null });
    const board = await cook.get('/').expect(200);
    expect(board.text).toContain('Online orders are open again.');
    expect(board.text).not.toContain('badge-paused');
    const page = await cook.get('/intake').expect(200);
    expect(page.text).toContain('<strong>Open</strong>');
    expect(page.text).toMatch(/<td>cook<\/td>\s*<td><time[^>]*>[^<]+<\/time> by cook<\/td>/);
    // Again: nothing to open.
    await cook.post('/intake/resume').expect(303);
    expect((await cook.get('/').expect(200)).text).toContain('Online orders were not paused');
    expect(Number(await database.value('SELECT count(*) FROM intake_pauses'))).toBe(1);
  });

  it('ends by itself at its time', async () => {
    const { api, database } = await kitchenWithShop(engine);
    // A 15-minute pause made 20 minutes ago.
    await createIntakePauseRepository(database, () => new Date(Date.now() - 20 * 60_000)).pause(15, null);

    await api.post('/api/orders', order('shop-1')).expect(201);
    expect((await api.get('/api/intake').expect(200)).body.open).toBe(true);
  });

  it('replaces a pause in force when paused again, from now', async () => {
    const { cook, api } = await kitchenWithShop(engine);
    await cook.post('/intake/pause').send({ minutes: '120' }).expect(303);
    await cook.post('/intake/pause').send({ minutes: '15' }).expect(303);

    const until = Date.parse((await api.get('/api/intake').expect(200)).body.pausedUntil);
    expect(until - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect(until - Date.now()).toBeGreaterThan(14 * 60_000);
  });

  it('shows on every open board at once: pausing and opening each move the board’s version', async () => {
    const { cook, database } = await kitchenWithShop(engine);
    const before = await boardEvents(database);
    await cook.post('/intake/pause').send({ minutes: '30' }).expect(303);
    expect(await boardEvents(database)).toBe(before + 1);
    await cook.post('/intake/resume').expect(303);
    expect(await boardEvents(database)).toBe(before + 2);
  });

  it.each([['45'], ['0'], ['-15'], ['lots'], ['']])('refuses %j minutes with the choices, pausing nothing', async (minutes) => {
    const { cook, api } = await kitchenWithShop(engine);
    const refused = await cook.post('/intake/pause').send({ minutes }).expect(400);
    expect(refused.text).toContain('Pick one of 15, 30, 60, 120 minutes.');
    await api.post('/api/orders', order('shop-1')).expect(201);
  });

  it('lets no one signed out pause them', async () => {
    const { anonymous, api } = await kitchenWithShop(engine);
    const stranger = anonymous();
    const answer = await stranger.agent.post('/intake/pause').type('form').send({ minutes: '30' });
    expect(answer.status).toBeGreaterThanOrEqual(300);
    expect(answer.status).not.toBe(500);
    await api.post('/api/orders', order('shop-1')).expect(201);
  });

  it('tells the shops that take status updates, signed, when paused and when opened again', async () => {
    const shop = await FakeShop.start();
    shops.push(shop);
    const { cook, database, apiKey } = await kitchenWithShop(engine);
    const secret = (await createWebhookRepository(database).setUrl(apiKey.id, shop.url))!.newSecret!;

    await cook.post('/intake/pause').send({ minutes: '30' }).expect(303);
    await cook.post('/intake/resume').expect(303);
    await createWebhookSender({ deliveries: createWebhookRepository(database), logger: pino({ level: 'silent' }) }).drain();

    const events = shop.received.map((request) => new Webhook(secret).verify(request.body, request.headers as Record<string, string>) as { type: string; timestamp: string }).sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.type.localeCompare(b.type));
    expect(events.map((event) => event.type).sort()).toEqual(['intake.paused', 'intake.resumed']);
    const paused = intakePausedEvent.strict().parse(events.find((event) => event.type === 'intake.paused'));
    const resumed = intakeResumedEvent.strict().parse(events.find((event) => event.type === 'intake.resumed'));
    expect(paused.data.open).toBe(false);
    expect(Date.parse(paused.data.pausedUntil!) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(resumed.data).toMatchObject({ open: true, pausedUntil: null });
  });
});
