import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createSignatureCheck } from '../src/notifications/webhook-router.ts';
import { captureLogs, createTestApp, makeOrder, testConfig } from './support/helpers.ts';
import { signWebhook } from './support/messagebird-signature.ts';

const signingKey = 'messagebird-signing-key-for-tests';
const publicUrl = 'https://desk.example';
const path = '/webhooks/messagebird/status';

const sign = (url: string, options: { key?: string; expiresAt?: number; payload?: string } = {}) =>
  signWebhook(url, options.key ?? signingKey, options);

async function setup(engine: TestEngine, overrides: Record<string, string> = {}, logs = captureLogs()) {
  const context = await createTestApp({ engine, logger: logs.logger, config: testConfig({ MESSAGEBIRD_SIGNING_KEY: signingKey, PUBLIC_URL: publicUrl, ...overrides }) });
  await context.orders.insert(makeOrder({ id: '00000000000000000000000000000001', customerName: 'Mike Madeater' }));
  const agent = await context.signIn();
  await agent.post('/orders/00000000000000000000000000000001/notify').send({ status: 'pending', expectedStatus: 'pending' }).expect(303);
  const message = (await context.messages.forOrder('00000000000000000000000000000001'))[0]!;
  expect(message.state).toBe('sent');
  const query = (status: string, extra: Record<string, string> = {}) =>
    `${path}?${new URLSearchParams({ id: message.providerMessageId!, reference: message.reference, recipient: '319876543211', status, statusDatetime: '2026-11-22T10:00:00+00:00', ...extra })}`;
  const report = async (status: string, extra: Record<string, string> = {}) => {
    const target = query(status, extra);
    return supertest(context.app).get(target).set('MessageBird-Signature-JWT', await sign(`${publicUrl}${target}`));
  };
  const state = async () => (await context.messages.findById(message.id))!.state;
  return { ...context, agent, message, query, report, state, logs };
}

// Statuses that name a property every plain object has.
const objectKeys = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

describeEngines('GET /webhooks/messagebird/status', (engine) => {
  it('marks a message delivered on a validly signed report, and the board shows it', async () => {
    const { report, state, agent, messages, message } = await setup(engine);
    const response = await report('delivered');
    expect([response.status, response.text]).toEqual([200, 'OK']);
    expect(await state()).toBe('delivered');
    expect(await messages.findById(message.id)).toMatchObject({ providerStatus: 'delivered', providerStatusAt: '2026-11-22T10:00:00+00:00' });
    expect((await agent.get('/')).text).toMatch(/message-delivered[^>]*><small>SMS<\/small> Delivered/);
  });

  it('records a delivery failure with its reason', async () => {
    const { report, messages, message } = await setup(engine);
    expect((await report('delivery_failed', { statusReason: 'unknown subscriber', statusErrorCode: '1' })).status).toBe(200);
    expect(await messages.findById(message.id)).toMatchObject({ state: 'failed', errorDescription: 'unknown subscriber', errorCode: 1 });
  });

  it('never moves a message back: a late "sent" leaves it delivered', async () => {
    const { report, state } = await setup(engine);
    expect((await report('delivered')).status).toBe(200);
    expect((await report('sent')).status).toBe(200);
    expect((await report('buffered')).status).toBe(200);
    expect(await state()).toBe('delivered');
  });

  it('acknowledges a report for an unknown message and changes nothing', async () => {
    const { app, state } = await setup(engine);
    const target = `${path}?reference=nobody&id=x&status=delivered`;
    await supertest(app).get(target).set('MessageBird-Signature-JWT', await sign(`${publicUrl}${target}`)).expect(200);
    expect(await state()).toBe('sent');
  });

  it('refuses a report without the signature header', async () => {
    const { app, query, state } = await setup(engine);
    await supertest(app).get(query('delivered')).expect(401);
    expect(await state()).toBe('sent');
  });

  it('refuses a report signed with another key', async () => {
    const { app, query, state } = await setup(engine);
    const target = query('delivered');
    await supertest(app).get(target).set('MessageBird-Signature-JWT', await sign(`${publicUrl}${target}`, { key: 'someone-elses-key' })).expect(401);
    expect(await state()).toBe('sent');
  });

  it('refuses an expired signature', async () => {
    const { app, query, state } = await setup(engine);
    const target = query('delivered');
    const expired = await sign(`${publicUrl}${target}`, { expiresAt: Math.floor(Date.now() / 1000) - 600 });
    await supertest(app).get(target).set('MessageBird-Signature-JWT', expired).expect(401);
    expect(await state()).toBe('sent');
  });

  it('refuses a report whose URL was changed after signing', async () => {
    const { app, query, state } = await setup(engine);
    const token = await sign(`${publicUrl}${query('delivery_failed')}`);
    await supertest(app).get(query('delivered')).set('MessageBird-Signature-JWT', token).expect(401);
    expect(await state()).toBe('sent');
  });

  it('refuses a signature made for a body the request does not have', async () => {
    const { app, query, state } = await setup(engine);
    const target = query('delivered');
    const token = await sign(`${publicUrl}${target}`, { payload: '{"status":"delivered"}' });
    await supertest(app).get(target).set('MessageBird-Signature-JWT', token).expect(401);
    expect(await state()).toBe('sent');
  });

  it('refuses a garbled token', async () => {
    const { app, query } = await setup(engine);
    await supertest(app).get(query('delivered')).set('MessageBird-Signature-JWT', 'not.a.jwt').expect(401);
  });

  it('answers 400 to a signed report without a status', async () => {
    const { app, message } = await setup(engine);
    const target = `${path}?reference=${message.reference}`;
    await supertest(app).get(target).set('MessageBird-Signature-JWT', await sign(`${publicUrl}${target}`)).expect(400);
  });

  it('rebuilds the URL from trusted proxy headers when there is no PUBLIC_URL', async () => {
    const { app, query, state } = await setup(engine, { PUBLIC_URL: '', TRUST_PROXY: 'true' });
    const target = query('delivered');
    const token = await sign(`https://proxy.example${target}`);
    await supertest(app).get(target).set('Host', 'proxy.example').set('X-Forwarded-Proto', 'https').set('MessageBird-Signature-JWT', token).expect(200);
    expect(await state()).toBe('delivered');
  });

  it('ignores proxy headers it does not trust', async () => {
    const { app, query, state } = await setup(engine, { PUBLIC_URL: '' });
    const target = query('delivered');
    const token = await sign(`https://proxy.example${target}`);
    await supertest(app).get(target).set('Host', 'proxy.example').set('X-Forwarded-Proto', 'https').set('MessageBird-Signature-JWT', token).expect(401);
    expect(await state()).toBe('sent');
  });

  it('answers 503 when no signing key is configured', async () => {
    const { app, query } = await setup(engine, { MESSAGEBIRD_SIGNING_KEY: '', PUBLIC_URL: '' });
    await supertest(app).get(query('delivered')).set('MessageBird-Signature-JWT', await sign(`${publicUrl}${query('delivered')}`)).expect(503);
  });

  it.each(objectKeys)('acknowledges a report with status %j, changes nothing and logs it as ignored', async (status) => {
    const { report, state, logs } = await setup(engine);
    const response = await report(status);
    expect(response.status).toBe(200);
    expect(await state()).toBe('sent');
    expect(logs.lines()).toContainEqual(expect.objectContaining({ msg: 'delivery report ignored: unknown status', status }));
  });

  it('never answers 5xx and only moves a message forward, whatever status a signed report carries', async () => {
    const { report, state } = await setup(engine);
    const rank = { sent: 0, delivered: 1, failed: 1, expired: 1 } as Record<string, number>;
    let highest = 0;
    await fc.assert(fc.asyncProperty(
      fc.oneof(fc.constantFrom(...objectKeys, 'sent', 'buffered', 'delivered', 'expired', 'delivery_failed'), fc.string({ minLength: 1, maxLength: 20 })),
      async (status) => {
        const response = await report(status);
        expect(response.status, status).toBe(200);
        const now = await state();
        expect(Object.hasOwn(rank, now), now).toBe(true);
        expect(rank[now]!).toBeGreaterThanOrEqual(highest);
        highest = rank[now]!;
      },
    ), { numRuns: 300 });
  });
});

// MessageBird's own test vectors for webhook signatures, shipped with the SDK.
const referenceVectors = JSON.parse(readFileSync(
  createRequire(import.meta.url).resolve('messagebird/lib/testdata/webhook-signature-jwt-reference.json'), 'utf8',
)) as { name: string; secret?: string; url: string; payload?: string; timestamp: string; token: string; valid: boolean }[];

describe('the signature check, against MessageBird\'s reference vectors', () => {
  it('has the vectors', () => {
    expect(referenceVectors.length).toBeGreaterThan(30);
  });

  it.each(referenceVectors.map((vector) => [vector.name, vector] as const))('%s', async (_name, vector) => {
    const check = createSignatureCheck(vector.secret ?? '');
    const outcome = check(vector.url, Buffer.from(vector.payload ?? '', 'utf8'), vector.token, new Date(vector.timestamp));
    if (vector.valid) await expect(outcome).resolves.toBeUndefined();
    else await expect(outcome).rejects.toThrow();
  });
});
