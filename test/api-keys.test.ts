import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import supertest from 'supertest';
import { expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { createTestLocation, describeEngines, openTestDatabase } from './support/engines.ts';
import { createTestApp } from './support/helpers.ts';

const order = { externalId: 'shop-1', customer: { name: 'Ada', phone: '+31612345678' }, items: ['1 x Pizza'] };

describeEngines('the API keys page', (engine) => {
  it('lets an admin make a named key, shows it once, and the key works on the API', async () => {
    const { app, signIn } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');

    const created = await admin.post('/api-keys').send({ name: 'webshop' }).expect(201);

    expect(created.headers['cache-control']).toBe('no-store');
    const key = /<code id="new-api-key">(od_live_[A-Za-z0-9_-]+)<\/code>/.exec(created.text)![1]!;
    const page = await admin.get('/api-keys').expect(200);
    expect(page.text).toContain('webshop');
    expect(page.text).toContain(`${key.slice(0, 14)}…`);
    expect(page.text).not.toContain(key);
    await supertest(app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(order).expect(201);
  });

  it('revokes a key, after which the API answers 401', async () => {
    const { app, database, signIn } = await createTestApp({ engine });
    const { key, apiKey } = (await createApiKeyRepository(database).create({ name: 'till', createdBy: null }))!;
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');

    await admin.post(`/api-keys/${apiKey.id}/revoke`).expect(303).expect('location', '/api-keys');

    const page = await admin.get('/api-keys').expect(200);
    expect(page.text).toContain('API key till is revoked');
    expect(page.text).toMatch(/revoked <time/);
    await supertest(app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(order).expect(401);
  });

  it('refuses a second active key with the same name, keeping the name typed', async () => {
    const { database, signIn } = await createTestApp({ engine });
    await createApiKeyRepository(database).create({ name: 'webshop', createdBy: null });
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');
    const response = await admin.post('/api-keys').send({ name: 'WebShop' }).expect(409);
    expect(response.text).toContain('An active key is already named WebShop');
    expect(response.text).toContain('value="WebShop"');
    expect(await createApiKeyRepository(database).list()).toHaveLength(1);
  });

  it('gives a revoked key’s name to a new key', async () => {
    const { database, signIn } = await createTestApp({ engine });
    const apiKeys = createApiKeyRepository(database);
    await apiKeys.revoke((await apiKeys.create({ name: 'webshop', createdBy: null }))!.apiKey.id);
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');
    await admin.post('/api-keys').send({ name: 'webshop' }).expect(201);
  });

  it('refuses a bad name with a message', async () => {
    const { database, signIn } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/api-keys');
    const response = await admin.post('/api-keys').send({ name: '<shop>' }).expect(400);
    expect(response.text).toContain('The name must be 1 to 50 letters');
    expect(response.text).toContain('value="&lt;shop&gt;"');
    expect(await createApiKeyRepository(database).list()).toHaveLength(0);
  });

  it('is for admins only', async () => {
    const { database, signIn } = await createTestApp({ engine });
    const { apiKey } = (await createApiKeyRepository(database).create({ name: 'till', createdBy: null }))!;
    const cook = await signIn('cook', 'staff');
    await cook.get('/api-keys').expect(403);
    await cook.post('/api-keys').send({ name: 'sneaky' }).expect(403);
    await cook.post(`/api-keys/${apiKey.id}/revoke`).expect(403);
    expect(await createApiKeyRepository(database).list()).toEqual([expect.objectContaining({ name: 'till', revokedAt: null })]);
  });
});

const root = join(import.meta.dirname, '..');

/** The CLI on the database that `env` names (DATABASE_PATH or DATABASE_URL, from createTestLocation). */
function cli(env: Record<string, string>, args: string[]) {
  const result = spawnSync(process.execPath, ['src/api/api-key-cli.ts', ...args], {
    cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env },
  });
  return { code: result.status, stdout: result.stdout, output: result.stdout + result.stderr };
}

describeEngines('npm run api-key', (engine) => {
  it('creates a key, prints it once, lists it by prefix, and revokes it', async () => {
    const place = await createTestLocation(engine);
    const { env } = place;

    const created = cli(env, ['create', 'webshop']);
    expect(created.code).toBe(0);
    const key = /^od_live_[A-Za-z0-9_-]{43}$/m.exec(created.stdout)![0];

    const database = await place.open();
    expect(await createApiKeyRepository(database).authenticate(key)).toMatchObject({ name: 'webshop' });
    await database.close();

    const listed = cli(env, ['list']);
    expect(listed.stdout).toMatch(new RegExp(`^webshop\\t${key.slice(0, 14)}…\\tactive\\tlast used `, 'm'));
    expect(listed.stdout).not.toContain(key);

    const revoked = cli(env, ['revoke', 'webshop']);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('Revoked API key webshop');
    const database2 = await place.open();
    expect(await createApiKeyRepository(database2).authenticate(key)).toBeUndefined();
    await database2.close();
    expect(cli(env, ['list']).stdout).toMatch(/^webshop\t.*\trevoked /m);
  });

  it('refuses a name an active key already has', async () => {
    const { env } = await createTestLocation(engine);
    cli(env, ['create', 'webshop']);
    const again = cli(env, ['create', 'webshop']);
    expect(again.code).toBe(1);
    expect(again.output).toContain('An active key is already named webshop');
  });

  it('says so when there is no key to revoke', async () => {
    const result = cli((await createTestLocation(engine)).env, ['revoke', 'nobody']);
    expect(result.code).toBe(1);
    expect(result.output).toContain('There is no active key named nobody.');
  });

  it('prints usage for an unknown command or a missing name', async () => {
    for (const args of [['delete', 'webshop'], ['create'], []]) {
      const result = cli((await createTestLocation(engine)).env, args);
      expect(result.code).toBe(1);
      expect(result.output).toContain('npm run api-key -- create <name>');
    }
  });
});

describeEngines('API key repository', (engine) => {
  it('records when a key was last used, to the minute, without a write on every request', async () => {
    const database = await openTestDatabase(engine);
    let now = new Date('2026-11-23T12:00:00.000Z');
    const apiKeys = createApiKeyRepository(database, () => now);
    const { key, apiKey } = (await apiKeys.create({ name: 'webshop', createdBy: null }))!;
    expect(apiKey.lastUsedAt).toBeNull();

    await apiKeys.authenticate(key);
    now = new Date('2026-11-23T12:00:30.000Z');
    await apiKeys.authenticate(key);
    expect((await apiKeys.findById(apiKey.id))!.lastUsedAt).toBe('2026-11-23T12:00:00.000Z');

    now = new Date('2026-11-23T12:01:01.000Z');
    await apiKeys.authenticate(key);
    expect((await apiKeys.findById(apiKey.id))!.lastUsedAt).toBe('2026-11-23T12:01:01.000Z');
  });

  it('knows a key only by the whole key', async () => {
    const database = await openTestDatabase(engine);
    const apiKeys = createApiKeyRepository(database);
    const { key } = (await apiKeys.create({ name: 'webshop', createdBy: null }))!;
    expect(await apiKeys.authenticate(key.slice(0, -1))).toBeUndefined();
    expect(await apiKeys.authenticate(`${key}x`)).toBeUndefined();
    expect(await apiKeys.authenticate(key.slice(0, 14))).toBeUndefined();
  });
});
