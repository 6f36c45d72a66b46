import { expect, it } from 'vitest';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, FakeSmsSender, makeOrder, orderIdFor } from './support/helpers.ts';

const ada = orderIdFor('ada');
const page = `/orders/${ada}`;

async function withOrder(engine: TestEngine, orderStatus: 'pending' | 'confirmed' | 'delivered' = 'pending') {
  const sender = new FakeSmsSender();
  const test = await createTestApp({ engine, sender });
  await test.orders.insert(makeOrder({ id: ada, customerName: 'Ada Lovelace', phone: '+31611111111', items: '1 x Margherita', status: orderStatus }));
  const agent = await test.signIn();
  await agent.refreshToken(page);
  return { ...test, sender, agent };
}

/** The order page's status form. */
const statusFormOf = (html: string) => /<section aria-labelledby="status-heading"[^]*?<\/form>/.exec(html)![0];

describeEngines('changing the status on the order’s page', (engine) => {
  it('shows the form with the saved status, the admin’s text default, and no way back to a stale board', async () => {
    const { agent } = await withOrder(engine);

    const form = statusFormOf((await agent.get(page).expect(200)).text);

    expect(form).toContain(`action="/orders/${ada}/status"`);
    expect(form).toContain('<input type="hidden" name="expectedStatus" value="pending">');
    expect(form).toContain('<input type="hidden" name="from" value="order">');
    expect(form).toContain('<option selected>pending');
    // Out of the box pending is not texted, confirmed is.
    expect(form).toContain('<input type="checkbox" name="text">Text the customer');
    expect(form).toMatch(/data-text-defaults="[^"]*\bconfirmed\b/);
    expect(form).toContain(`formaction="/orders/${ada}/notify"`);
  });

  it('saves a change there, texts the customer when ticked, and comes back to the order’s page with the flash', async () => {
    const { agent, orders, sender } = await withOrder(engine);

    await agent.post(`${page}/status`).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on', from: 'order' }).expect(303).expect('location', page);

    expect((await orders.findById(ada))!.status).toBe('confirmed');
    expect(sender.sent.map((sent) => sent.recipient)).toEqual(['+31611111111']);
    const after = (await agent.get(page).expect(200)).text;
    expect(after).toContain('Ada Lovelace&#39;s order is now confirmed and Ada Lovelace was texted.');
    expect(statusFormOf(after)).toContain('<input type="hidden" name="expectedStatus" value="confirmed">');
  });

  it('asks for the minutes of a delay on the page itself, keeping the pick, and saves the delay with them', async () => {
    const { agent, orders } = await withOrder(engine, 'confirmed');

    const refused = await agent.post(`${page}/status`).send({ status: 'delayed', expectedStatus: 'confirmed', from: 'order' }).expect(400);

    expect(refused.text).toContain('<h1 class="slip">');
    expect(refused.text).toContain('Status of Ada Lovelace&#39;s order not changed');
    const form = statusFormOf(refused.text);
    expect(form).toContain('<option selected>delayed');
    expect(form).toContain('name="quickDelay" value="10"');
    expect((await orders.findById(ada))!.status).toBe('confirmed');
    await agent.refreshToken(page);
    await agent.post(`${page}/status`).send({ status: 'delayed', expectedStatus: 'confirmed', quickDelay: '20', from: 'order' }).expect(303).expect('location', page);
    expect(await orders.findById(ada)).toMatchObject({ status: 'delayed', delayMinutes: 20 });
  });

  it('cancels with a reason, and keeps a too-long reason typed on the page', async () => {
    const { agent, orders } = await withOrder(engine);
    const long = 'x'.repeat(201);

    const refused = await agent.post(`${page}/status`).send({ status: 'cancelled', expectedStatus: 'pending', reason: long, from: 'order' }).expect(400);

    expect(statusFormOf(refused.text)).toContain(`value="${long}"`);
    await agent.refreshToken(page);
    await agent.post(`${page}/status`).send({ status: 'cancelled', expectedStatus: 'pending', reason: 'Out of stock', from: 'order' }).expect(303);
    expect(await orders.findById(ada)).toMatchObject({ status: 'cancelled', cancelReason: 'Out of stock' });
  });

  it('saves nothing from a page opened before someone else changed the order: 409, with the status now shown', async () => {
    const { agent, orders, signIn } = await withOrder(engine);
    const colleague = await signIn();
    await colleague.refreshToken('/');
    await colleague.post(`${page}/status`).send({ status: 'confirmed', expectedStatus: 'pending' }).expect(303);

    const refused = await agent.post(`${page}/status`).send({ status: 'delivered', expectedStatus: 'pending', from: 'order' }).expect(409);

    expect(refused.text).toContain('Your choice, delivered, was not saved.');
    expect(statusFormOf(refused.text)).toContain('<input type="hidden" name="expectedStatus" value="confirmed">');
    expect((await orders.findById(ada))!.status).toBe('confirmed');
  });

  it('notifies from the page and comes back to it; a list showing an unsaved status is refused there', async () => {
    const { agent, sender } = await withOrder(engine, 'confirmed');

    const refused = await agent.post(`${page}/notify`).send({ status: 'delivered', expectedStatus: 'confirmed', from: 'order' }).expect(409);
    expect(refused.text).toContain('the list shows delivered, but the saved status is confirmed');
    expect(statusFormOf(refused.text)).toContain('<option selected>delivered');
    expect(sender.sent).toEqual([]);

    await agent.refreshToken(page);
    await agent.post(`${page}/notify`).send({ status: 'confirmed', expectedStatus: 'confirmed', from: 'order' }).expect(303).expect('location', page);
    expect(sender.sent).toHaveLength(1);
  });

  it('offers no box and no Notify for a customer who opted out, and still changes the status', async () => {
    const { agent, orders } = await withOrder(engine);
    await agent.post(`${page}/opt-out`).send({}).expect(303);

    const form = statusFormOf((await agent.refreshToken(page)).text);

    expect(form).not.toContain('name="text"');
    expect(form).not.toContain('/notify');
    await agent.post(`${page}/status`).send({ status: 'confirmed', expectedStatus: 'pending', from: 'order' }).expect(303);
    expect((await orders.findById(ada))!.status).toBe('confirmed');
  });

  it('sets a delivered order back on the queue from its page, as the Done view can', async () => {
    const { agent, orders } = await withOrder(engine, 'delivered');

    await agent.post(`${page}/status`).send({ status: 'confirmed', expectedStatus: 'delivered', from: 'order' }).expect(303).expect('location', page);

    expect((await orders.findById(ada))!.status).toBe('confirmed');
  });

  it('is read again alone by the page’s script (/now): the facts and the form, no page around them, no flash taken', async () => {
    const { agent, anonymous } = await withOrder(engine);
    await agent.post(`${page}/status`).send({ status: 'confirmed', expectedStatus: 'pending', from: 'order' }).expect(303);

    const now = (await agent.get(`${page}/now`).expect(200)).text;

    expect(now.startsWith('<div id="order-facts-area" class="slip-area">')).toBe(true);
    expect(now).not.toContain('<html');
    expect(now).toContain('<span class="badge badge-confirmed">confirmed</span>');
    expect(statusFormOf(now)).toContain('<input type="hidden" name="expectedStatus" value="confirmed">');
    // The flash the redirect left is still there for the page itself.
    expect((await agent.get(page).expect(200)).text).toContain('Ada Lovelace&#39;s order is now confirmed.');
    await agent.get(`/orders/${orderIdFor('nobody')}/now`).expect(404);
    await anonymous().agent.get(`${page}/now`).expect(303).expect('location', /^\/login/);
  });
});
