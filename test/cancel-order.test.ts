import supertest from 'supertest';
import { expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import type { Database } from '../src/db/database.ts';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, FakeSmsSender, makeOrder, orderIdFor } from './support/helpers.ts';
import type { TestClient } from './support/helpers.ts';

const ada = orderIdFor('ada');
const status = `/orders/${ada}/status`;
const cancelledText = 'Hello, Ada Lovelace, your order at OmNomNom Foods has been cancelled. Please call us if you have any questions.';

async function withOrder(engine: TestEngine, orderStatus: 'pending' | 'confirmed' = 'confirmed') {
  const sender = new FakeSmsSender();
  const test = await createTestApp({ engine, sender });
  await test.orders.insert(makeOrder({ id: ada, customerName: 'Ada Lovelace', phone: '+31611111111', items: '1 x Margherita', status: orderStatus }));
  const agent = await test.signIn();
  await agent.refreshToken('/');
  return { ...test, sender, agent };
}

/** MessageBird answered "try later": the queued texts wait for a retry that is not due before the test ends. */
const retryTomorrow = (database: Database) =>
  database.run("UPDATE messages SET next_attempt_at = ? WHERE state = 'queued'", [new Date(Date.now() + 86_400_000).toISOString()]);

/** The board's two row groups: the queue, and the orders finished in the last minutes. */
async function boardOf(agent: TestClient) {
  const page = (await agent.get('/').expect(200)).text;
  const [active, finished] = page.split('<tbody id="recently-done">') as [string, string];
  const counts = /<p class="counts"[\s\S]*?<\/p>/.exec(page)![0];
  return { page, active, finished, counts };
}

describeEngines('cancelling an order', (engine) => {
  it('takes it off the queue into the just-finished rows, counted as cancelled today and not as delivered', async () => {
    const { agent, orders } = await withOrder(engine);

    await agent.post(status).send({ status: 'cancelled', expectedStatus: 'confirmed' }).expect(303).expect('location', `/#order-${ada}`);

    const order = (await orders.findById(ada))!;
    expect(order).toMatchObject({ status: 'cancelled', deliveredAt: null });
    expect((await orders.history(ada)).map((change) => change.status)).toEqual(['confirmed', 'cancelled']);
    const board = await boardOf(agent);
    expect(board.active).not.toContain(`id="order-${ada}"`);
    expect(board.finished).toContain(`id="order-${ada}"`);
    expect(board.finished).toContain('<b class="cancelled">cancelled</b>');
    expect(board.counts).toMatch(/cancelled today <strong>1<\/strong>/);
    expect(board.counts).toMatch(/delivered today <strong>0<\/strong>/);
    expect(board.counts).toMatch(/confirmed <strong>0<\/strong>/);
    expect(board.page).toContain('Ada Lovelace&#39;s order is now cancelled.');
  });

  it('keeps the reason given: in the row under the badge, the flash, the order’s page and its history', async () => {
    const { agent, orders } = await withOrder(engine);

    await agent.post(status).send({ status: 'cancelled', expectedStatus: 'confirmed', reason: '  Out of stock  ' }).expect(303);

    expect((await orders.findById(ada))!.cancelReason).toBe('Out of stock');
    expect((await orders.history(ada)).map((change) => [change.status, change.reason])).toEqual([['confirmed', null], ['cancelled', 'Out of stock']]);
    const board = await boardOf(agent);
    expect(board.finished).toContain('<b class="cancelled">cancelled</b><br><small class="why">Out of stock</small>');
    expect(board.page).toContain('Ada Lovelace&#39;s order is now cancelled (Out of stock).');
    const page = (await agent.get(`/orders/${ada}`).expect(200)).text;
    expect(page).toContain('<span class="badge badge-cancelled">cancelled</span> Out of stock</dd>');
    expect(page).toContain('<td>cancelled: Out of stock</td>');
    // Undone, the order is no longer cancelled: no reason shows; the history keeps it.
    await agent.refreshToken('/');
    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'cancelled', reason: 'ignored' }).expect(303);
    expect((await orders.findById(ada))!.cancelReason).toBeNull();
    expect((await orders.history(ada)).map((change) => change.reason)).toEqual([null, 'Out of stock', null]);
  });

  it('refuses a reason over 200 characters with 400, keeping it typed in the row, and cancels nothing', async () => {
    const { agent, orders } = await withOrder(engine);
    const long = `Sold out ${'x'.repeat(200)}`;
    const refused = await agent.post(status).send({ status: 'cancelled', expectedStatus: 'confirmed', reason: long }).expect(400);
    expect(refused.text).toContain('write the reason in at most 200 characters');
    expect(refused.text).toContain(`value="${long}"`);
    expect((await orders.findById(ada))!.status).toBe('confirmed');
  });

  it('does not text the customer unless asked: the box starts unticked, and ticked it sends the cancellation text', async () => {
    const { agent, sender, messages } = await withOrder(engine);
    const { page } = await boardOf(agent);
    expect(/data-text-defaults="([^"]*)"/.exec(page)![1]!.split(' ')).not.toContain('cancelled');

    await agent.post(status).send({ status: 'cancelled', expectedStatus: 'confirmed', text: 'on' }).expect(303);

    expect(sender.sent.map((message) => message.body)).toEqual([cancelledText]);
    expect(await messages.forOrder(ada)).toMatchObject([{ orderStatus: 'cancelled', state: 'sent' }]);
  });

  it('stops the texts still queued for the order, says so, and leaves a text already sent as it was', async () => {
    const { agent, sender, messages, database } = await withOrder(engine, 'pending');
    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);
    // MessageBird is busy now: the next text goes back to the queue for a later try.
    sender.next = async () => ({ kind: 'try-later', reasons: ['Service unavailable'], code: 7, statusCode: 503 });
    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/resend`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);
    // Newest first. MessageBird's "try later" recorded: the text waits in the queue for its retry.
    await expect.poll(async () => (await messages.forOrder(ada))[0], { timeout: 5000 }).toMatchObject({ state: 'queued', attempts: 1 });
    await retryTomorrow(database);
    const [waiting, sent] = await messages.forOrder(ada);
    expect(sent).toMatchObject({ state: 'sent' });
    await agent.refreshToken('/');

    await agent.post(status).send({ status: 'cancelled', expectedStatus: 'confirmed' }).expect(303);

    expect(await messages.findById(waiting!.id)).toMatchObject({ state: 'cancelled', errorDescription: 'Not sent: the order was cancelled before it went out' });
    expect(await messages.findById(sent!.id)).toMatchObject({ state: 'sent' });
    expect((await boardOf(agent)).page).toContain('A text still queued about an earlier status was not sent.');
  });

  it('queues the cancellation text itself after stopping the older ones, when the box is ticked', async () => {
    const { agent, sender, messages, database } = await withOrder(engine);
    sender.next = async () => ({ kind: 'try-later', reasons: ['Service unavailable'], code: 7, statusCode: 503 });
    await agent.post(`/orders/${ada}/notify`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);
    await expect.poll(async () => (await messages.forOrder(ada))[0], { timeout: 5000 }).toMatchObject({ state: 'queued', attempts: 1 });
    await retryTomorrow(database);
    await agent.refreshToken('/');

    await agent.post(status).send({ status: 'cancelled', expectedStatus: 'confirmed', text: 'on' }).expect(303);

    // Newest first: the cancellation text waits for MessageBird; the older one never goes.
    expect((await messages.forOrder(ada)).map((message) => [message.orderStatus, message.state])).toEqual([['cancelled', 'queued'], ['confirmed', 'cancelled']]);
  });

  it('lists it on the Done view under the day it was cancelled, with its badge, and finds it by name', async () => {
    const { agent, orders } = await withOrder(engine);
    await orders.insert(makeOrder({ id: orderIdFor('bob'), customerName: 'Bob Baker', status: 'delivered' }));
    await agent.post(status).send({ status: 'cancelled', expectedStatus: 'confirmed' }).expect(303);

    const done = (await agent.get('/done').expect(200)).text;
    expect(done).toContain(`id="order-${ada}"`);
    expect(done).toContain(`id="order-${orderIdFor('bob')}"`);
    expect(done).toContain('<b class="cancelled">cancelled</b>');
    expect(done).toContain('<th scope="col">Done at</th>');
    const found = (await agent.get('/done?q=lovelace').expect(200)).text;
    expect(found).toContain(`id="order-${ada}"`);
    expect(found).not.toContain(`id="order-${orderIdFor('bob')}"`);
  });

  it('is set back on the queue by choosing an active status again, as after a mistaken click', async () => {
    const { agent } = await withOrder(engine);
    await agent.post(status).send({ status: 'cancelled', expectedStatus: 'confirmed' }).expect(303);
    await agent.refreshToken('/');

    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'cancelled' }).expect(303);

    const board = await boardOf(agent);
    expect(board.active).toContain(`id="order-${ada}"`);
    expect(board.counts).toMatch(/cancelled today <strong>0<\/strong>/);
  });

  it('is not corrected any more: no link on its page, the form sends back with a notice, and a late save gets 409', async () => {
    const { agent, orders } = await withOrder(engine);
    const form = await agent.refreshToken(`/orders/${ada}/edit`);
    const version = /name="version" value="([^"]+)"/.exec(form.text)![1]!;
    await agent.refreshToken('/');
    await agent.post(status).send({ status: 'cancelled', expectedStatus: 'confirmed' }).expect(303);

    const page = (await agent.get(`/orders/${ada}`).expect(200)).text;
    expect(page).not.toContain(`href="/orders/${ada}/edit"`);
    expect(page).toContain('<span class="badge badge-cancelled">cancelled</span>');
    await agent.get(`/orders/${ada}/edit`).expect(303).expect('location', `/orders/${ada}`);
    expect((await agent.get(`/orders/${ada}`).expect(200)).text).toContain('was cancelled, so it can no longer be corrected.');
    const late = await agent.post(`/orders/${ada}/edit`).send({ customerName: 'Ada King', phone: '+31611111111', items: '1 x Margherita', version }).expect(409);
    expect(late.text).toContain('was cancelled meanwhile, and a cancelled order is not corrected any more.');
    expect(late.text).toContain('value="Ada King"');
    expect((await orders.findById(ada))!.customerName).toBe('Ada Lovelace');
  });

  it('is reported as cancelled by the intake API, with the change in its history', async () => {
    const { app, database, agent } = await withOrder(engine);
    const { key } = (await createApiKeyRepository(database).create({ name: 'webshop', createdBy: null }))!;
    await agent.post(status).send({ status: 'cancelled', expectedStatus: 'confirmed' }).expect(303);

    const answer = await supertest(app).get(`/api/orders/${ada}`).set('Authorization', `Bearer ${key}`).expect(200);

    expect(answer.body).toMatchObject({ status: 'cancelled', deliveredAt: null });
    expect(answer.body.history.map((change: { status: string }) => change.status)).toEqual(['confirmed', 'cancelled']);
  });

  it('has a text the admin can edit on the Templates page, and a "Text the customer" default on the Settings page', async () => {
    const { signIn } = await withOrder(engine);
    const admin = await signIn('boss', 'admin');

    const templates = (await admin.get('/templates').expect(200)).text;
    expect(templates).toContain('When an order is cancelled');
    expect(templates).toContain('Restore Order Desk’s default text');
    const settings = (await admin.get('/settings').expect(200)).text;
    expect(settings).toContain('<input type="checkbox" name="textCustomer" value="cancelled"> cancelled');
  });
});

describeEngines('POST /api/orders/:id/cancel (the shop cancels)', (engine) => {
  async function shop() {
    const sender = new FakeSmsSender();
    const test = await createTestApp({ engine, sender });
    const { key } = (await createApiKeyRepository(test.database).create({ name: 'webshop', createdBy: null }))!;
    const api = supertest(test.app);
    const created = await api.post('/api/orders').set('Authorization', `Bearer ${key}`)
      .send({ externalId: 'shop-7', customer: { name: 'Ada Lovelace', phone: '+31611111111' }, items: ['1 x Margherita'] }).expect(201);
    const cancel = (id = created.body.id as string) => api.post(`/api/orders/${id}/cancel`).set('Authorization', `Bearer ${key}`);
    return { ...test, sender, key, api, id: created.body.id as string, cancel };
  }

  it('takes the order off the board as cancelled, names the shop’s key in its history, and texts nobody', async () => {
    const { id, cancel, orders, messages, sender, signIn } = await shop();

    const answer = await cancel().expect(200);

    expect(answer.body).toMatchObject({ id, status: 'cancelled', deliveredAt: null });
    expect(answer.body.history.map((change: { status: string }) => change.status)).toEqual(['pending', 'cancelled']);
    expect((await orders.history(id)).map((change) => change.changedBy)).toEqual(['API key webshop', 'API key webshop']);
    expect(await messages.forOrder(id)).toEqual([]);
    expect(sender.sent).toEqual([]);
    const agent = await signIn();
    const board = await boardOf(agent);
    expect(board.active).not.toContain(`id="order-${id}"`);
    expect(board.finished).toContain('<b class="cancelled">cancelled</b>');
    expect((await agent.get(`/orders/${id}`).expect(200)).text).toContain('<td>cancelled</td><td>API key webshop</td>');
  });

  it('answers a repeat 200 with the order as it is, and takes an empty JSON object as well as no body', async () => {
    const { cancel, orders, id } = await shop();
    await cancel().set('Content-Type', 'application/json').send({}).expect(200);

    const again = await cancel().expect(200);

    expect(again.body.status).toBe('cancelled');
    expect(await orders.history(id)).toHaveLength(2);
  });

  it('takes the shop’s reason, shows it to the kitchen and answers it in the history; a repeat keeps the first', async () => {
    const { cancel, id, signIn } = await shop();
    const answer = await cancel().send({ reason: 'Customer cancelled' }).expect(200);
    expect(answer.body.history.at(-1)).toMatchObject({ status: 'cancelled', reason: 'Customer cancelled' });
    const again = await cancel().send({ reason: 'Something else' }).expect(200);
    expect(again.body.history.map((change: { reason: string | null }) => change.reason)).toEqual([null, 'Customer cancelled']);
    const agent = await signIn();
    expect((await agent.get('/').expect(200)).text).toContain(`<small class="why">Customer cancelled</small>`);
    expect((await agent.get(`/orders/${id}`).expect(200)).text).toContain('<td>cancelled: Customer cancelled</td>');
  });

  it('refuses a delivered order with 409 and leaves it delivered; an unknown order 404; an unknown field or a long reason 422; a form 415', async () => {
    const { cancel, orders, id } = await shop();
    await orders.updateStatus(id, 'delivered', null);

    const refused = await cancel().expect(409).expect('content-type', /application\/problem\+json/);

    expect(refused.body.detail).toMatch(/^The order was delivered at .+; a delivered order cannot be cancelled\.$/);
    expect((await orders.findById(id))!.status).toBe('delivered');
    await cancel('0'.repeat(32)).expect(404);
    const fields = await cancel().set('Content-Type', 'application/json').send({ why: 'changed my mind' }).expect(422);
    expect(fields.body.errors).toEqual([expect.objectContaining({ pointer: '#/why' })]);
    const long = await cancel().set('Content-Type', 'application/json').send({ reason: 'x'.repeat(201) }).expect(422);
    expect(long.body.errors).toEqual([expect.objectContaining({ pointer: '#/reason' })]);
    await cancel().type('form').send({ reason: 'x' }).expect(415);
  });

  it('stops the texts still queued to the customer about the order', async () => {
    const { cancel, messages, sender, id, signIn, database } = await shop();
    sender.next = async () => ({ kind: 'try-later', reasons: ['Service unavailable'], code: 7, statusCode: 503 });
    const agent = await signIn();
    await agent.refreshToken('/');
    await agent.post(`/orders/${id}/notify`).send({ status: 'pending', expectedStatus: 'pending' }).expect(303);
    await expect.poll(async () => (await messages.forOrder(id))[0], { timeout: 5000 }).toMatchObject({ state: 'queued', attempts: 1 });
    await retryTomorrow(database);

    await cancel().expect(200);

    expect(await messages.forOrder(id)).toMatchObject([{ state: 'cancelled', errorDescription: 'Not sent: the order was cancelled before it went out' }]);
  });
});
