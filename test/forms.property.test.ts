import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderStatuses } from '../src/orders/order-status.ts';
import { createTestApp, FakeSmsSender, makeOrder, testPassword } from './support/helpers.ts';

// Every form gets at least this many generated submissions. The order forms render the whole board
// for most refusals, which takes longer than 15 s on a busy machine.
const numRuns = 1000;

// Text that would break the page if it were ever rendered unescaped.
const hostile = fc.constantFrom('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' onfocus='alert(1)", '&amp;<b>', '</textarea><svg onload=alert(1)>');
// Names every plain object has: a lookup keyed by input must not find them.
const objectKeys = fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf');
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), hostile, hostile.map((h) => `cook${h}`), objectKeys, fc.string({ minLength: 300, maxLength: 400 }));
const value = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.array(text, { minLength: 2, maxLength: 3 }) });
const formOf = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(Object.fromEntries(Object.entries(fields).map(([name, arbitrary]) => [name, fc.oneof(arbitrary, value)])), { requiredKeys: [] });

const rawHostile = /<script>alert\(1\)<\/script>|<img src=x onerror|<svg onload|' onfocus='|<b>/;

async function setup() {
  const sender = new FakeSmsSender();
  const context = await createTestApp({ sender, throttleLimits: { windowMs: 60_000, perAccount: 1_000_000, perAddress: 1_000_000 } });
  await context.orders.insert(makeOrder({ id: '00000000000000000000000000000001', customerName: 'Mike Madeater', status: 'pending' }));
  const admin = await context.signIn('boss', 'admin');
  const cook = await context.addAccount('cook');
  const snapshot = () => JSON.stringify([
    context.database.sqlite.prepare('SELECT * FROM orders').all(),
    context.database.sqlite.prepare('SELECT * FROM order_status_changes').all(),
    context.database.sqlite.prepare('SELECT id, username, password_hash, role, disabled_at FROM staff').all(),
  ]);
  return { ...context, sender, admin, cook, snapshot };
}

function expectSafe(response: { status: number; text: string }) {
  expect(response.status).toBeLessThan(500);
  expect(response.text).not.toMatch(rawHostile);
}

describe('every form, under generated input', () => {
  it('POST /orders/:orderId/status: never a 5xx, a 400 for anything but known statuses and delays, a 409 from a stale page, and nothing changed or texted then', async () => {
    const { admin, snapshot, orders, sender } = await setup();
    const known = (value: unknown) => typeof value === 'string' && (orderStatuses as readonly string[]).includes(value);
    // Minutes: absent, empty, or 1–180 as digits (spaces around allowed).
    const minutesOk = (value: unknown) => value === undefined || value === ''
      || (typeof value === 'string' && /^\s*\d{1,3}\s*$/.test(value) && Number(value) >= 1 && Number(value) <= 180);
    const given = (value: unknown) => value !== undefined && value !== '';
    const minutes = fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.constantFrom('', ' 20 ', '1e1', '0x14', '20.0'));
    const fields = { status: fc.constantFrom(...orderStatuses), expectedStatus: fc.constantFrom(...orderStatuses), delayMinutes: minutes, quickDelay: minutes, text: fc.constant('on') };
    await fc.assert(fc.asyncProperty(formOf(fields), async (form) => {
      const before = snapshot();
      const sentBefore = sender.sent.length;
      const saved = (await orders.findById('00000000000000000000000000000001'))!.status;
      const response = await admin.post('/orders/00000000000000000000000000000001/status').send(form);
      expectSafe(response);
      const valid = known(form.status) && known(form.expectedStatus) && minutesOk(form.delayMinutes) && minutesOk(form.quickDelay)
        && (form.text === undefined || form.text === 'on')
        && !(form.status === 'delayed' && form.expectedStatus !== 'delayed' && !given(form.delayMinutes) && !given(form.quickDelay));
      const stale = valid && form.status !== saved && form.expectedStatus !== saved;
      expect(response.status).toBe(!valid ? 400 : stale ? 409 : 303);
      if (!valid || stale) {
        expect(snapshot()).toBe(before);
        expect(sender.sent.length).toBe(sentBefore);
      }
    }), { numRuns });
  }, 60_000);

  it('POST /orders/:orderId/notify: never a 5xx, never changes the order, and texts only when the form shows the saved status', async () => {
    const { admin, snapshot, sender } = await setup();
    const status = fc.constantFrom(...orderStatuses);
    await fc.assert(fc.asyncProperty(formOf({ status, expectedStatus: status, body: text }), async (form) => {
      const before = snapshot();
      const sentBefore = sender.sent.length;
      const response = await admin.post('/orders/00000000000000000000000000000001/notify').send(form);
      expectSafe(response);
      const known = (value: unknown) => typeof value === 'string' && (orderStatuses as readonly string[]).includes(value);
      const valid = known(form.status) && known(form.expectedStatus);
      expect(response.status).toBe(!valid ? 400 : form.status === 'pending' && form.expectedStatus === 'pending' ? 303 : 409);
      if (response.status !== 303) expect(sender.sent.length).toBe(sentBefore);
      expect(snapshot()).toBe(before);
    }), { numRuns });
    expect(sender.sent.every((message) => message.recipient === '+14127267380')).toBe(true);
  }, 60_000);

  it('POST /login: never a 5xx, only the right password signs in, and the username is always escaped', async () => {
    const { anonymous, snapshot } = await setup();
    const client = anonymous();
    await client.refreshToken('/login');
    await fc.assert(fc.asyncProperty(formOf({ username: fc.constantFrom('cook', 'boss'), password: fc.constant(testPassword), next: text }), async (form) => {
      const before = snapshot();
      const response = await client.post('/login').send(form);
      expectSafe(response);
      const valid = (form.username === 'cook' || form.username === 'boss') && form.password === testPassword;
      expect(response.status).toBe(valid ? 303 : response.status === 400 ? 400 : 401);
      if (valid) {
        expect(response.headers.location).toMatch(/^\/(?![/\\])/);
        await client.refreshToken('/');
        await client.post('/logout').expect(303);
        await client.refreshToken('/login');
      }
      expect(snapshot()).toBe(before);
    }), { numRuns });
  }, 60_000);

  it('POST /staff: never a 5xx, invalid input refused with 4xx and nothing created, the input kept and escaped', async () => {
    const { admin, staff } = await setup();
    let created = 0;
    await fc.assert(fc.asyncProperty(
      formOf({ username: fc.stringMatching(/^[a-z0-9]{3,12}$/), password: fc.constant('a perfectly fine passphrase'), role: fc.constantFrom('staff', 'admin') }),
      async (form) => {
        const before = await staff.count();
        const response = await admin.post('/staff').send(form);
        expectSafe(response);
        if (response.status === 303) created += 1;
        else {
          expect([400, 409]).toContain(response.status);
          expect(await staff.count()).toBe(before);
          if (typeof form.username === 'string' && form.username.length > 0 && form.username.length <= 32 && !form.username.includes('\r')) {
            expect(response.text).toContain('id="new-username"');
          }
        }
      },
    ), { numRuns });
    expect(await staff.count()).toBe(2 + created);
  }, 60_000);

  it('POST /staff/:staffId/password: never a 5xx, weak or malformed passwords change nothing', async () => {
    const { admin, cook, snapshot } = await setup();
    await fc.assert(fc.asyncProperty(formOf({ password: fc.constant('another fine passphrase') }), async (form) => {
      const before = snapshot();
      const response = await admin.post(`/staff/${cook.id}/password`).send(form);
      expectSafe(response);
      if (response.status !== 303) {
        expect(response.status).toBe(400);
        expect(snapshot()).toBe(before);
      }
    }), { numRuns });
  }, 60_000);

  it('POST /account/password: never a 5xx, and nothing changes unless the current password is right and the new one strong', async () => {
    const { signIn, snapshot } = await setup();
    const cook = await signIn('cook');
    await fc.assert(fc.asyncProperty(formOf({ currentPassword: fc.constant('wrong but plausible'), newPassword: fc.constant('another fine passphrase') }), async (form) => {
      const before = snapshot();
      const response = await cook.post('/account/password').send(form);
      expectSafe(response);
      expect(response.status).toBe(400);
      expect(snapshot()).toBe(before);
    }), { numRuns });
  }, 60_000);

  it('POST /staff/:staffId/disable and /enable: never a 5xx with any extra fields', async () => {
    const { admin, cook, staff } = await setup();
    await fc.assert(fc.asyncProperty(formOf({ anything: text }), fc.constantFrom('disable', 'enable'), async (form, action) => {
      const response = await admin.post(`/staff/${cook.id}/${action}`).send(form);
      expectSafe(response);
      expect(response.status).toBe(303);
      expect((await staff.findById(cook.id))!.disabledAt === null).toBe(action === 'enable');
    }), { numRuns });
  }, 60_000);
});
