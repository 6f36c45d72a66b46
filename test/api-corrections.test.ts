import supertest from 'supertest';
import { expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { orderDigest } from '../src/orders/order-repository.ts';
import { describeEngines, describePostgres } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, FakeSmsSender } from './support/helpers.ts';

/** A shop with an API key and one order it sent: Ada's Margherita to Kerkstraat 12. */
async function shop(engine: TestEngine) {
  const sender = new FakeSmsSender();
  const test = await createTestApp({ engine, sender });
  const { key } = (await createApiKeyRepository(test.database).create({ name: 'webshop', createdBy: null }))!;
  const api = supertest(test.app);
  const created = await api.post('/api/orders').set('Authorization', `Bearer ${key}`)
    .send({ externalId: 'shop-7', customer: { name: 'Ada Lovelace', phone: '+31611111111' }, deliveryAddress: 'Kerkstraat 12', items: ['1 x Margherita'], note: 'ring twice' })
    .expect(201);
  const id = created.body.id as string;
  const correct = (body: unknown, orderId = id) => api.patch(`/api/orders/${orderId}`).set('Authorization', `Bearer ${key}`).send(body as object);
  return { ...test, sender, key, api, id, created: created.body, correct };
}

describeEngines('PATCH /api/orders/:id (the shop corrects an order)', (engine) => {
  it('changes only the fields sent, answers the corrected order with a new version, and names the shop’s key in the corrections', async () => {
    const { correct, id, created, orders, signIn } = await shop(engine);

    const answer = await correct({ deliveryAddress: 'Damrak 1\n1012 LG Amsterdam', items: ['2 x Margherita', '1 x Tiramisu'] })
      .expect(200).expect('content-type', /application\/json/);

    expect(answer.body).toMatchObject({
      id, status: 'pending', customer: { name: 'Ada Lovelace', phone: '+31611111111' },
      deliveryAddress: 'Damrak 1, 1012 LG Amsterdam', items: ['2 x Margherita', '1 x Tiramisu'], note: 'ring twice',
    });
    expect(typeof created.version).toBe('string');
    expect(answer.body.version).not.toBe(created.version);
    const [edit] = await orders.edits(id);
    expect(edit).toMatchObject({ editedBy: 'API key webshop' });
    expect(edit!.changes).toEqual([
      { field: 'deliveryAddress', before: 'Kerkstraat 12', after: 'Damrak 1, 1012 LG Amsterdam' },
      { field: 'items', before: '1 x Margherita', after: '2 x Margherita\n1 x Tiramisu' },
    ]);
    const agent = await signIn();
    expect((await agent.get('/').expect(200)).text).toContain('Damrak 1, 1012 LG Amsterdam');
    const page = (await agent.get(`/orders/${id}`).expect(200)).text;
    expect(page).toMatch(/<td>API key webshop<\/td><td><ul>\s*<li>Delivery address: <del>/);
  });

  it('takes a JSON merge patch: null clears the address and the note, a national number is stored in E.164', async () => {
    const { correct, id, orders } = await shop(engine);

    const answer = await correct({ deliveryAddress: null, note: null, customer: { phone: '06 22222222' } })
      .set('Content-Type', 'application/merge-patch+json').expect(200);

    expect(answer.body).toMatchObject({ deliveryAddress: null, note: null, customer: { name: 'Ada Lovelace', phone: '+31622222222' } });
    expect(await orders.findById(id)).toMatchObject({ deliveryAddress: null, note: null, phone: '+31622222222' });
  });

  it('with the version it read, saves nothing when the order was corrected since: 409 naming the version now', async () => {
    const { correct, id, created, orders } = await shop(engine);
    const staffSaved = await correct({ customer: { name: 'Ada King' } }).expect(200);

    const refused = await correct({ version: created.version, items: ['3 x Margherita'] })
      .expect(409).expect('content-type', /application\/problem\+json/).expect('location', `/api/orders/${id}`);

    expect(refused.body.detail).toContain(`its version is now "${staffSaved.body.version}"`);
    expect((await orders.findById(id))!.items).toBe('1 x Margherita');
    const saved = await correct({ version: staffSaved.body.version, items: ['3 x Margherita'] }).expect(200);
    expect(saved.body.items).toEqual(['3 x Margherita']);
  });

  it('keeps a staff correction saved meanwhile in every field the shop did not send', async () => {
    const { correct, id, orders } = await shop(engine);
    const order = (await orders.findById(id))!;
    await orders.edit(id, { ...order, customerName: 'Ada King', note: 'no onions' }, orderDigest(order), null);

    const answer = await correct({ deliveryAddress: 'Damrak 1' }).expect(200);

    expect(answer.body).toMatchObject({ customer: { name: 'Ada King' }, note: 'no onions', deliveryAddress: 'Damrak 1' });
  });

  it('stops the texts still queued to the old number when the shop corrects the number', async () => {
    const { correct, id, messages, sender, signIn } = await shop(engine);
    sender.next = async () => ({ kind: 'try-later', reasons: ['Service unavailable'], code: 7, statusCode: 503 });
    const agent = await signIn();
    await agent.refreshToken('/');
    await agent.post(`/orders/${id}/notify`).send({ status: 'pending', expectedStatus: 'pending' }).expect(303);
    await expect.poll(async () => (await messages.forOrder(id))[0], { timeout: 5000 }).toMatchObject({ state: 'queued', attempts: 1 });

    await correct({ customer: { phone: '+31622222222' } }).expect(200);

    expect(await messages.forOrder(id)).toMatchObject([{
      state: 'cancelled', errorDescription: 'Not sent: the order\'s number was corrected from +31611111111 to +31622222222 before it went out',
    }]);
  });

  it('answers 200 and records nothing when the order already holds what was sent', async () => {
    const { correct, id, created, orders } = await shop(engine);

    const answer = await correct({ deliveryAddress: 'Kerkstraat 12', items: ['1 x Margherita'] }).expect(200);

    expect(answer.body.version).toBe(created.version);
    expect(await orders.edits(id)).toEqual([]);
  });

  it('refuses a delivered or cancelled order with 409 and changes nothing', async () => {
    const { correct, id, orders, api, key } = await shop(engine);
    await api.post(`/api/orders/${id}/cancel`).set('Authorization', `Bearer ${key}`).expect(200);

    const refused = await correct({ items: ['2 x Margherita'] }).expect(409);

    expect(refused.body.detail).toBe('The order was cancelled; a cancelled order is not corrected any more.');
    await orders.updateStatus(id, 'delivered', null);
    expect((await correct({ items: ['2 x Margherita'] }).expect(409)).body.detail).toBe('The order was delivered; a delivered order is not corrected any more.');
    expect((await orders.findById(id))!.items).toBe('1 x Margherita');
    expect(await orders.edits(id)).toEqual([]);
  });

  it('refuses a bad correction with a pointer to each field (422), a form (415), an unknown order (404) and no key (401)', async () => {
    const { correct, id, orders, api } = await shop(engine);

    const fields = await correct({ customer: { phone: '+31201234567' }, items: [], colour: 'red' }).expect(422);
    expect(fields.body.errors.map((error: { pointer: string }) => error.pointer).sort()).toEqual(['#/colour', '#/customer/phone', '#/items']);
    const empty = await correct({}).expect(422);
    expect(empty.body.errors).toEqual([{ pointer: '#/', detail: 'Send at least one field to correct: customer, deliveryAddress, items, note or scheduledFor.' }]);
    await correct({ version: 'x' }).expect(422);
    await correct('"Damrak 1"').set('Content-Type', 'application/json').expect(422);
    await correct({ note: 'x' }).type('form').send('note=x').expect(415);
    await correct({ note: 'x' }, '0'.repeat(32)).expect(404);
    await api.patch(`/api/orders/${id}`).send({ note: 'x' }).expect(401);
    expect(await orders.edits(id)).toEqual([]);
  });

  it('saves one of two corrections sent at the same moment with the same version, and refuses the other', async () => {
    const { correct, id, created, orders } = await shop(engine);

    const answers = await Promise.all([
      correct({ version: created.version, items: ['2 x Margherita'] }),
      correct({ version: created.version, items: ['3 x Margherita'] }),
    ]);

    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(await orders.edits(id)).toHaveLength(1);
    const saved = answers.find((answer) => answer.status === 200)!.body.items;
    expect((await orders.findById(id))!.items).toBe(saved.join('\n'));
  });

  it('is described in the OpenAPI document', async () => {
    const { api } = await shop(engine);
    const document = (await api.get('/api/openapi.json').expect(200)).body;
    expect(document.paths['/api/orders/{orderId}'].patch.operationId).toBe('correctOrder');
    expect(Object.keys(document.components.schemas.Correction.properties).sort()).toEqual(['customer', 'deliveryAddress', 'items', 'note', 'scheduledFor', 'version']);
    expect(document.components.schemas.Order.required).toContain('version');
  });
});

// On PostgreSQL the shop's request reads the order before a staff correction still being saved on
// another connection commits: its fields are merged onto the order under the lock, not onto that read.
describePostgres('a shop correction while a staff correction is being saved', (engine) => {
  it('waits for it and keeps the staff’s fields the shop did not send', async () => {
    const { correct, id, database, orders } = await shop(engine);
    const order = (await orders.findById(id))!;
    let commit: () => void = () => {};
    let corrected: () => void = () => {};
    const correctedYet = new Promise<void>((resolve) => { corrected = resolve; });
    const staffCorrection = database.transaction(async () => {
      await orders.edit(id, { ...order, customerName: 'Ada King' }, orderDigest(order), null);
      corrected();
      await new Promise<void>((resolve) => { commit = resolve; });
    });
    await correctedYet;

    const patch = correct({ deliveryAddress: 'Damrak 1' }).then((answer) => answer);
    await new Promise((resolve) => setTimeout(resolve, 300));
    commit();
    await staffCorrection;
    const answer = await patch;

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ customer: { name: 'Ada King' }, deliveryAddress: 'Damrak 1' });
    expect(await orders.findById(id)).toMatchObject({ customerName: 'Ada King', deliveryAddress: 'Damrak 1' });
  });
});
