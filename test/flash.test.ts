import { expect, it, vi } from 'vitest';
import { describeEngines } from './support/engines.ts';
import { createTestApp, makeOrder, orderIdFor } from './support/helpers.ts';

// The flash after a form travels in a signed cookie of its own, so neither the change nor the page
// that shows its message writes to the session.

const sessionWrites = (run: { mock: { calls: unknown[][] } }) =>
  run.mock.calls.map(([sql]) => String(sql)).filter((sql) => /sessions/i.test(sql) && /^\s*(INSERT|UPDATE|DELETE)/i.test(sql));

describeEngines('the flash after a form', (engine) => {
  it('shows once after a status change, with no write to the session on the way', async () => {
    const { database, orders, signIn } = await createTestApp({ engine });
    const id = orderIdFor('flash-no-session-write');
    await orders.insert(makeOrder({ id, customerName: 'Flash Gordon', status: 'pending' }));
    const agent = await signIn();
    const run = vi.spyOn(database, 'run');

    const change = await agent.post(`/orders/${id}/status`).send({ status: 'confirmed', expectedStatus: 'pending' }).expect(303);
    expect(String(change.headers['set-cookie'])).toMatch(/order_desk\.flash=%7B%22kind%22/);
    const page = (await agent.get('/').expect(200)).text;
    expect(page).toContain('Flash Gordon&#39;s order is now confirmed');
    expect((await agent.get('/').expect(200)).text).not.toContain('Flash Gordon&#39;s order is now confirmed');
    expect(sessionWrites(run)).toEqual([]);
  });

  it('waits through pages that only redirect, and shows on the next page that renders', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const id = orderIdFor('flash-waits');
    await orders.insert(makeOrder({ id, customerName: 'Flash Waits', status: 'pending' }));
    const agent = await signIn();
    await agent.post(`/orders/${id}/status`).send({ status: 'confirmed', expectedStatus: 'pending' }).expect(303);
    // The login page sends a signed-in account on to the board without rendering.
    await agent.get('/login').expect(303);
    expect((await agent.get('/').expect(200)).text).toContain('Flash Waits&#39;s order is now confirmed');
  });

  it('shows a flash only with this desk’s signature: one with its words changed is ignored and cleared', async () => {
    const { orders, signIn, anonymous } = await createTestApp({ engine });
    const id = orderIdFor('flash-forged');
    await orders.insert(makeOrder({ id, customerName: 'Flash Signed', status: 'pending' }));
    const agent = await signIn();
    const change = await agent.post(`/orders/${id}/status`).send({ status: 'confirmed', expectedStatus: 'pending' }).expect(303);
    const signed = /order_desk\.flash=([^;]+)/.exec(String(change.headers['set-cookie']))![1]!;

    const genuine = await anonymous().get('/login').set('Cookie', `order_desk.flash=${signed}`).expect(200);
    expect(genuine.text).toContain('Flash Signed&#39;s order is now confirmed');

    const forged = signed.replace(encodeURIComponent('Flash Signed'), encodeURIComponent('Call 555-0100'));
    expect(forged).not.toBe(signed);
    const page = await anonymous().get('/login').set('Cookie', `order_desk.flash=${forged}`).expect(200);
    expect(page.text).not.toContain('555-0100');
    expect(page.text).not.toContain('order is now confirmed');
    expect(String(page.headers['set-cookie'])).toMatch(/order_desk\.flash=;.*Expires=Thu, 01 Jan 1970/);
  });
});
