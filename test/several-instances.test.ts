import { pino } from 'pino';
import supertest from 'supertest';
import { afterEach, expect, it, vi } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { ensureFirstAdmin } from '../src/staff/first-admin.ts';
import { defaultThrottleLimits } from '../src/staff/login-throttle.ts';
import { createStaffRepository } from '../src/staff/staff-repository.ts';
import { createTestLocation, describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, csrfTokenIn, testConfig, testPassword, testPasswords } from './support/helpers.ts';

/**
 * Two app instances, each with its own pool, on one database: what one instance does (a sign-in,
 * a sign-out, a key, an order) must hold on the other, and what both do at once must come out as
 * if one had done it. The requests go to both in parallel; on PostgreSQL they really overlap.
 */
async function twoInstances(engine: TestEngine) {
  const location = await createTestLocation(engine);
  // Migrated once up front, so the two instances start on the same schema without racing for it.
  await location.open();
  // createTestApp opens its database from the config (DATABASE_URL or DATABASE_PATH), one pool per app.
  const env: Record<string, string> = { ...location.env };
  const a = await createTestApp({ config: testConfig(env) });
  const b = await createTestApp({ config: testConfig(env) });
  return { location, a, b, instances: [a, b] };
}

/** Cookie header for the `Set-Cookie` headers of a response. */
function cookieOf(response: { headers: Record<string, unknown> }): string {
  const setCookie = (response.headers['set-cookie'] ?? []) as string[];
  return setCookie.map((line) => line.split(';')[0]).join('; ');
}

/** Signs in on one instance with plain requests, returning the session cookie to send anywhere. */
async function signInOn(app: Parameters<typeof supertest>[0], username: string): Promise<string> {
  const page = await supertest(app).get('/login').expect(200);
  const signedIn = await supertest(app).post('/login').set('Cookie', cookieOf(page)).type('form')
    .send({ _csrf: csrfTokenIn(page.text), username, password: testPassword }).expect(303);
  return cookieOf(signedIn);
}

const orderBody = (externalId: string) => ({ externalId, customer: { name: 'Ada', phone: '+31612345678' }, items: ['2 x Margherita'] });

afterEach(() => {
  vi.useRealTimers();
});

describeEngines('several instances on one database', (engine) => {
  it('agree on the session secret stored on first start', async () => {
    const { a, b } = await twoInstances(engine);
    // The secret is not configured in tests, so each instance resolved it from app_settings.
    expect(a.config.session.secret).toBeUndefined();
    const secrets = await a.database.all<{ value: string }>("SELECT value FROM app_settings WHERE key = 'session_secret'");
    expect(secrets).toHaveLength(1);
    // A CSRF token is signed with the secret: one handed out by A is accepted by B for the same session.
    await a.addAccount('cook');
    const cookie = await signInOn(a.app, 'cook');
    const page = await supertest(a.app).get('/').set('Cookie', cookie).expect(200);
    await supertest(b.app).post('/logout').set('Cookie', cookie).type('form').send({ _csrf: csrfTokenIn(page.text) })
      .expect(303).expect('location', '/login?notice=signed-out');
  });

  it('accept on one instance a session signed in on the other, and end it on both at sign-out', async () => {
    const { a, b } = await twoInstances(engine);
    await a.addAccount('cook');
    const cookie = await signInOn(a.app, 'cook');

    await supertest(b.app).get('/').set('Cookie', cookie).expect(200);

    const page = await supertest(a.app).get('/').set('Cookie', cookie).expect(200);
    await supertest(a.app).post('/logout').set('Cookie', cookie).type('form').send({ _csrf: csrfTokenIn(page.text) }).expect(303);
    await supertest(b.app).get('/').set('Cookie', cookie).expect(303).expect('location', '/login');
  });

  it('count wrong passwords for one account across instances: the limit, not the limit per instance', async () => {
    const { a, b, instances } = await twoInstances(engine);
    await a.addAccount('cook');
    const pages = await Promise.all(instances.map((instance) => supertest(instance.app).get('/login').expect(200)));

    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => {
      const page = pages[i % 2]!;
      return supertest(instances[i % 2]!.app).post('/login').set('Cookie', cookieOf(page)).type('form')
        .send({ _csrf: csrfTokenIn(page.text), username: 'cook', password: 'wrong password entirely' });
    }));

    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(defaultThrottleLimits.perAccount);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20 - defaultThrottleLimits.perAccount);
    // Locked on both, for the right password too.
    for (const instance of [a, b]) {
      const page = await supertest(instance.app).get('/login').expect(200);
      await supertest(instance.app).post('/login').set('Cookie', cookieOf(page)).type('form')
        .send({ _csrf: csrfTokenIn(page.text), username: 'cook', password: testPassword }).expect(429);
    }
  });

  it('accept on one instance an API key made on the other, and refuse it once revoked there', async () => {
    const { a, b } = await twoInstances(engine);
    const admin = await a.signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');
    const made = await admin.post('/api-keys').send({ name: 'webshop' }).expect(201);
    const key = /id="new-api-key">([^<]+)</.exec(made.text)![1]!;

    await supertest(b.app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(orderBody('shop-1')).expect(201);

    const list = await admin.refreshToken('/api-keys');
    const revokePath = /action="(\/api-keys\/\d+\/revoke)"/.exec(list.text)![1]!;
    await admin.post(revokePath).expect(303);
    await supertest(b.app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(orderBody('shop-2')).expect(401);
  });

  it('make one order of the same externalId sent to both instances at once', async () => {
    const { a, instances } = await twoInstances(engine);
    const { key } = (await createApiKeyRepository(a.database).create({ name: 'webshop', createdBy: null }))!;

    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      supertest(instances[i % 2]!.app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(orderBody('shop-1042'))));

    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((answer) => answer.headers.location)).size).toBe(1);
    expect(new Set(answers.map((answer) => (answer.body as { id: string }).id)).size).toBe(1);
    expect(await a.orders.count()).toBe(1);
  });

  it('refuse new online orders on both instances once staff paused them on one, and take them on both once opened', async () => {
    const { a, b } = await twoInstances(engine);
    const { key } = (await createApiKeyRepository(a.database).create({ name: 'webshop', createdBy: null }))!;
    const cook = await a.signIn('cook');
    await cook.refreshToken('/intake');

    await cook.post('/intake/pause').send({ minutes: '30' }).expect(303);
    await supertest(b.app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(orderBody('shop-1')).expect(503);
    await supertest(a.app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(orderBody('shop-1')).expect(503);
    expect((await supertest(b.app).get('/api/intake').set('Authorization', `Bearer ${key}`).expect(200)).body.open).toBe(false);

    await cook.post('/intake/resume').expect(303);
    await supertest(b.app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(orderBody('shop-1')).expect(201);
  });

  it('count a key’s API requests across instances: the limit, not the limit per instance', async () => {
    const location = await createTestLocation(engine);
    await location.open();
    const env: Record<string, string> = { ...location.env, API_RATE_LIMIT_PER_MINUTE: '5' };
    const instances = [await createTestApp({ config: testConfig(env) }), await createTestApp({ config: testConfig(env) })];
    const { key } = (await createApiKeyRepository(instances[0]!.database).create({ name: 'webshop', createdBy: null }))!;

    // The middle of a minute, held there: the burst cannot straddle two windows.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-04T12:00:30Z'));
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      supertest(instances[i % 2]!.app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(orderBody(`shop-${i}`))));

    expect(answers.map((answer) => answer.status).filter((status) => status === 201)).toHaveLength(5);
    expect(answers.map((answer) => answer.status).filter((status) => status === 429)).toHaveLength(15);
    // Counted by the held clock, not the real one (whose minute may turn during the burst).
    expect(new Set(answers.filter((answer) => answer.status === 429).map((answer) => answer.headers['retry-after']))).toEqual(new Set(['30']));
    expect(await instances[0]!.orders.count()).toBe(5);
  });

  it('number the day’s orders made on both instances at once without repeats or gaps', async () => {
    const { a, instances } = await twoInstances(engine);
    const { key } = (await createApiKeyRepository(a.database).create({ name: 'webshop', createdBy: null }))!;

    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      supertest(instances[i % 2]!.app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(orderBody(`shop-${i}`))));

    expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(201));
    const numbers = answers.map((answer) => (answer.body as { number: number }).number).sort((x, y) => x - y);
    expect(numbers).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('make exactly one first admin when two instances start at once', async () => {
    const location = await createTestLocation(engine);
    const pools = [await location.open(), await location.open()];
    const announced: string[][] = [];
    const start = (db: (typeof pools)[number]) => ensureFirstAdmin({
      staff: createStaffRepository(db), passwords: testPasswords, configured: undefined,
      logger: pino({ level: 'silent' }), announce: (lines) => announced.push(lines),
    });

    await Promise.all([start(pools[0]!), start(pools[1]!)]);

    expect(await pools[0]!.all('SELECT username, role FROM staff')).toEqual([{ username: 'admin', role: 'admin' }]);
    // Only the instance whose password was stored shows one.
    expect(announced).toHaveLength(1);
  });
});
