import fc from 'fast-check';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { createTestApp, testConfig } from './support/helpers.ts';

const numRuns = 300;

const hostile = fc.constantFrom('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '</textarea><svg onload=alert(1)>', '__proto__', 'constructor');
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), hostile, fc.constantFrom('06 12345678', '+31612345678', '020 123 4567', '+1 (412) 726-7380', '2 x Margherita\n1 x Tiramisu'));
const value = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.array(text, { minLength: 2, maxLength: 3 }) });
const rawHostile = /<script>alert\(1\)<\/script>|<img src=x onerror|<svg onload/;

describe('the New order form, under generated input', () => {
  it('never answers 5xx; adds exactly one order when it answers 303, none when it answers 400', async () => {
    const { signIn, orders } = await createTestApp();
    const agent = await signIn();
    await agent.refreshToken('/orders/new');
    await fc.assert(fc.asyncProperty(
      fc.record({ customerName: value, phone: value, deliveryAddress: value, items: value, note: value }, { requiredKeys: [] }),
      async (form) => {
        const before = await orders.count();
        const response = await agent.post('/orders/new').send(form);
        expect(response.status).toBeLessThan(500);
        expect(response.text).not.toMatch(rawHostile);
        expect([303, 400]).toContain(response.status);
        expect(await orders.count()).toBe(before + (response.status === 303 ? 1 : 0));
      },
    ), { numRuns });
  }, 60_000);
});

const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(text, tie('node'), { maxKeys: 4 })),
})).node;

describe('POST /api/orders, under generated input', () => {
  it('never answers 5xx, and every refusal is problem+json with a pointer per field problem', async () => {
    const { app, database, orders } = await createTestApp({ config: testConfig({ API_RATE_LIMIT_PER_MINUTE: '100000' }) });
    const { key } = (await createApiKeyRepository(database).create({ name: 'webshop', createdBy: null }))!;
    const api = supertest(app);
    const body = fc.oneof(
      json,
      fc.record({ externalId: fc.oneof(text, json), customer: fc.oneof(json, fc.record({ name: fc.oneof(text, json), phone: fc.oneof(text, json) }, { requiredKeys: [] })), items: fc.oneof(fc.array(text, { maxLength: 3 }), json), deliveryAddress: fc.oneof(text, json), note: fc.oneof(text, json) }, { requiredKeys: [] }),
    );
    await fc.assert(fc.asyncProperty(body, async (payload) => {
      const before = await orders.count();
      const response = await api.post('/api/orders').set('Authorization', `Bearer ${key}`).set('Content-Type', 'application/json').send(JSON.stringify(payload));
      expect(response.status).toBeLessThan(500);
      expect([200, 201, 409, 422]).toContain(response.status);
      if (response.status >= 400) {
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        if (response.status === 422) {
          for (const problem of response.body.errors) expect(problem.pointer).toMatch(/^#\//);
        }
      }
      expect(await orders.count()).toBe(before + (response.status === 201 ? 1 : 0));
    }), { numRuns });
  }, 60_000);
});
