import { expect, it } from 'vitest';
import supertest from 'supertest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { describeEngines, describePostgres } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, csrfTokenIn, FakeSmsSender, makeOrder, orderIdFor } from './support/helpers.ts';
import type { TestClient } from './support/helpers.ts';

const ada = orderIdFor('ada');
const correction = { customerName: 'Ada Lovelace', phone: '06 22222222', deliveryAddress: 'Damrak 1\n1012 LG Amsterdam', items: '2 x Margherita\n1 x Tiramisu', note: 'ring twice' };

async function withOrder(engine: TestEngine) {
  const sender = new FakeSmsSender();
  const test = await createTestApp({ engine, sender });
  await test.orders.insert(makeOrder({ id: ada, customerName: 'Ada Lovelce', phone: '+31611111111', items: '1 x Margherita', deliveryAddress: 'Kerkstraat 12, Amsterdam' }));
  const agent = await test.signIn();
  return { ...test, sender, agent };
}

/** Opens the correction form as a browser would: its CSRF token and the version it was opened on. */
async function openForm(agent: TestClient, id = ada) {
  const page = await agent.refreshToken(`/orders/${id}/edit`);
  const version = /name="version" value="([^"]+)"/.exec(page.text)![1]!;
  return { page, version };
}

describeEngines('correcting an order', (engine) => {
  it('opens a form filled with the order as stored, linked from the order’s page', async () => {
    const { agent } = await withOrder(engine);

    expect((await agent.get(`/orders/${ada}`).expect(200)).text).toContain(`href="/orders/${ada}/edit"`);
    const { page } = await openForm(agent);

    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Correct order #1</h1>');
    expect(page.text).toContain(`action="/orders/${ada}/edit"`);
    expect(page.text).toContain('value="Ada Lovelce"');
    expect(page.text).toContain('value="+31611111111"');
    expect(page.text).toContain('value="Kerkstraat 12, Amsterdam"');
    expect(page.text).toContain('>1 x Margherita</textarea>');
    expect(page.text).toContain('Save corrections');
  });

  it('saves the corrected fields, records who changed what, and shows them on the board and the order’s page', async () => {
    const { agent, orders } = await withOrder(engine);
    const { version } = await openForm(agent);

    const saved = await agent.post(`/orders/${ada}/edit`).send({ ...correction, version }).expect(303);

    expect(saved.headers.location).toBe(`/orders/${ada}`);
    expect(await orders.findById(ada)).toMatchObject({
      customerName: 'Ada Lovelace', phone: '+31622222222', deliveryAddress: 'Damrak 1, 1012 LG Amsterdam', items: '2 x Margherita\n1 x Tiramisu', note: 'ring twice', status: 'pending',
    });
    expect(await orders.edits(ada)).toEqual([{
      id: expect.anything(), editedAt: expect.any(String), editedBy: 'cook',
      changes: [
        { field: 'customerName', before: 'Ada Lovelce', after: 'Ada Lovelace' },
        { field: 'phone', before: '+31611111111', after: '+31622222222' },
        { field: 'deliveryAddress', before: 'Kerkstraat 12, Amsterdam', after: 'Damrak 1, 1012 LG Amsterdam' },
        { field: 'items', before: '1 x Margherita', after: '2 x Margherita\n1 x Tiramisu' },
        { field: 'note', before: null, after: 'ring twice' },
      ],
    }]);
    const page = (await agent.get(`/orders/${ada}`).expect(200)).text;
    expect(page).toContain('Order #1 (Ada Lovelace) corrected: name, mobile number, delivery address, items, note.');
    expect(page).toContain('<h2>Corrections</h2>');
    // Struck through and underlined on screen; "was" and "now" for a screen reader, which reads no del or ins.
    expect(page).toContain('Mobile number: <del><span class="visually-hidden">was </span>+31611111111</del> → <ins><span class="visually-hidden">now </span>+31622222222</ins>');
    expect(page).toContain('Note: <del><span class="visually-hidden">was </span>(empty)</del> → <ins><span class="visually-hidden">now </span>ring twice</ins>');
    // The board (rendered once per change) shows the correction at once.
    const board = (await agent.get('/').expect(200)).text;
    expect(board).toContain('Ada Lovelace');
    expect(board).toContain('+31622222222');
    expect(board).not.toContain('+31611111111');
  });

  it('refuses a bad field with a message next to it, keeps what was typed and changes nothing', async () => {
    const { agent, orders } = await withOrder(engine);
    const { version } = await openForm(agent);

    const refused = await agent.post(`/orders/${ada}/edit`).send({ ...correction, phone: '020 123 4567', items: ' \n ', version }).expect(400);

    expect(refused.text).toContain('Nothing was saved: please correct the fields marked below.');
    expect(refused.text).toContain('id="phone-error"');
    expect(refused.text).toContain('<small id="items-error">Add at least one item.</small>');
    expect(refused.text).toContain('value="020 123 4567"');
    expect(refused.text).toContain('value="Ada Lovelace"');
    expect(refused.text).toContain(`name="version" value="${version}"`);
    expect(await orders.findById(ada)).toMatchObject({ customerName: 'Ada Lovelce', phone: '+31611111111' });
    expect(await orders.edits(ada)).toEqual([]);
  });

  it('does not overwrite a correction saved meanwhile on another screen: 409, what is saved now, and what was typed kept', async () => {
    const { agent, orders, signIn } = await withOrder(engine);
    const other = await signIn('waiter');
    const mine = await openForm(agent);
    const theirs = await openForm(other);
    await other.post(`/orders/${ada}/edit`).send({ ...correction, phone: '06 33333333', version: theirs.version }).expect(303);

    // A browser sends the items' line ends as CRLF: the same items, not a difference to point out.
    const refused = await agent.post(`/orders/${ada}/edit`).send({ ...correction, items: correction.items.replace('\n', '\r\n'), version: mine.version }).expect(409);

    expect(refused.text).toContain('Nothing was saved: someone else corrected this order while you had it open.');
    expect(refused.text).toContain('Saved now as mobile number: +31633333333');
    expect(refused.text).not.toContain('Saved now as items');
    expect(refused.text).not.toContain('Saved now as name');
    expect(refused.text).toContain('value="06 22222222"');
    expect((await orders.findById(ada))!.phone).toBe('+31633333333');
    expect(await orders.edits(ada)).toHaveLength(1);

    // The form now carries the version it showed as saved: saving again is a deliberate overwrite.
    agent.token = csrfTokenIn(refused.text);
    const version = /name="version" value="([^"]+)"/.exec(refused.text)![1]!;
    await agent.post(`/orders/${ada}/edit`).send({ ...correction, version }).expect(303);
    expect((await orders.findById(ada))!.phone).toBe('+31622222222');
  });

  it('saves one of two corrections sent at the same moment from the same form, and refuses the other', async () => {
    const { agent, orders } = await withOrder(engine);
    const { version } = await openForm(agent);

    const answers = await Promise.all([
      agent.post(`/orders/${ada}/edit`).send({ ...correction, version }),
      agent.post(`/orders/${ada}/edit`).send({ ...correction, phone: '06 33333333', version }),
    ]);

    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 409]);
    expect(await orders.edits(ada)).toHaveLength(1);
  });

  it('leaves a delivered order as it was: the form is not offered and a late save is refused with what was typed kept', async () => {
    const { agent, orders } = await withOrder(engine);
    const { version } = await openForm(agent);
    await orders.updateStatus(ada, 'delivered', null);

    const page = (await agent.get(`/orders/${ada}`).expect(200)).text;
    expect(page).not.toContain(`/orders/${ada}/edit`);
    await agent.get(`/orders/${ada}/edit`).expect(303).expect('location', `/orders/${ada}`);
    const refused = await agent.post(`/orders/${ada}/edit`).send({ ...correction, version }).expect(409);

    expect(refused.text).toContain('was delivered meanwhile');
    expect(refused.text).toContain('value="Damrak 1\n1012 LG Amsterdam"');
    expect((await orders.findById(ada))!.customerName).toBe('Ada Lovelce');
  });

  it('says so when nothing was changed, and records nothing', async () => {
    const { agent, orders } = await withOrder(engine);
    const { version } = await openForm(agent);

    await agent.post(`/orders/${ada}/edit`).send({ customerName: 'Ada Lovelce', phone: '06 11111111', deliveryAddress: 'Kerkstraat 12, Amsterdam', items: '1 x Margherita', version }).expect(303);

    expect((await agent.get(`/orders/${ada}`).expect(200)).text).toContain('Nothing was changed in order #1 (Ada Lovelce).');
    expect(await orders.edits(ada)).toEqual([]);
  });

  it('answers 404 for an unknown or malformed order id, and 403 without the form’s CSRF token', async () => {
    const { agent, orders } = await withOrder(engine);
    await agent.get(`/orders/${orderIdFor('nobody')}/edit`).expect(404);
    await agent.get('/orders/not-an-id/edit').expect(404);
    const { version } = await openForm(agent);
    await agent.post(`/orders/${orderIdFor('nobody')}/edit`).send({ ...correction, version }).expect(404);

    await agent.agent.post(`/orders/${ada}/edit`).type('form').send({ ...correction, version }).expect(403);
    expect(await orders.edits(ada)).toEqual([]);
  });

  it('cancels the texts still queued for the old number when the number is corrected, and says so', async () => {
    const { agent, messages, sender } = await withOrder(engine);
    // MessageBird is busy: the text goes back to the queue for a later try.
    sender.next = async () => ({ kind: 'try-later', reasons: ['Service unavailable'], code: 7, statusCode: 503 });
    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/notify`).send({ status: 'pending', expectedStatus: 'pending' }).expect(303);
    const [queued] = await messages.forOrder(ada);
    expect(queued).toMatchObject({ state: 'queued', recipient: '+31611111111' });
    const { version } = await openForm(agent);

    await agent.post(`/orders/${ada}/edit`).send({ ...correction, version }).expect(303);

    expect(await messages.findById(queued!.id)).toMatchObject({
      state: 'cancelled', errorDescription: 'Not sent: the order\'s number was corrected from +31611111111 to +31622222222 before it went out',
    });
    expect((await agent.get(`/orders/${ada}`).expect(200)).text).toContain('A text still queued for the old number was cancelled. Use Notify on the board to text the new number.');
    sender.next = async () => ({ kind: 'accepted', providerMessageId: 'mb-new' });
    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/notify`).send({ status: 'pending', expectedStatus: 'pending' }).expect(303);
    expect(sender.sent.map((sent) => sent.recipient)).toEqual(['+31611111111', '+31622222222']);
    expect(sender.sent.at(-1)!.body).toContain('Ada Lovelace');
  });

  it('keeps the texts queued when the number stays the same', async () => {
    const { agent, messages, sender } = await withOrder(engine);
    sender.next = async () => ({ kind: 'try-later', reasons: ['Service unavailable'], code: 7, statusCode: 503 });
    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/notify`).send({ status: 'pending', expectedStatus: 'pending' }).expect(303);
    const { version } = await openForm(agent);

    await agent.post(`/orders/${ada}/edit`).send({ ...correction, phone: '+31611111111', version }).expect(303);

    expect((await messages.forOrder(ada)).map((message) => message.state)).toEqual(['queued']);
  });
});

describeEngines('a corrected order and the shop’s retries', (engine) => {
  it('still answers the shop’s retry of the original order 200, and a changed body 409', async () => {
    const { app, database, orders, signIn } = await createTestApp({ engine });
    const { key } = (await createApiKeyRepository(database).create({ name: 'webshop', createdBy: null }))!;
    const body = { externalId: 'shop-7', customer: { name: 'Ada', phone: '+31611111111' }, deliveryAddress: 'Kerkstraat 12', items: ['1 x Margherita'] };
    const post = (payload: object) => supertest(app).post('/api/orders').set('Authorization', `Bearer ${key}`).send(payload);
    const created = await post(body).expect(201);
    const agent = await signIn();
    const { version } = await openForm(agent, created.body.id);
    await agent.post(`/orders/${created.body.id}/edit`).send({ ...correction, version }).expect(303);

    const retried = await post(body).expect(200);

    expect(retried.body).toMatchObject({ id: created.body.id, customer: { name: 'Ada Lovelace', phone: '+31622222222' }, deliveryAddress: 'Damrak 1, 1012 LG Amsterdam' });
    await post({ ...body, items: ['2 x Margherita'] }).expect(409);
    expect(await orders.count()).toBe(1);
  });

  it('still recognises the New order form sent again after the order was corrected', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    const form = await agent.refreshToken('/orders/new');
    const formToken = /name="formToken" value="([0-9a-f]{32})"/.exec(form.text)![1]!;
    const typed = { customerName: 'Ada', phone: '06 11111111', items: '1 x Margherita', formToken };
    await agent.post('/orders/new').send(typed).expect(303);
    const [order] = await orders.list();
    const { version } = await openForm(agent, order!.id);
    await agent.post(`/orders/${order!.id}/edit`).send({ ...correction, version }).expect(303);

    await agent.post('/orders/new').send(typed).expect(303);

    expect(await orders.count()).toBe(1);
    expect((await agent.get('/').expect(200)).text).toContain('was already added by this form; nothing new was added.');
  });
});

// On PostgreSQL a read outside a transaction does not wait for a correction being written on
// another connection: a Notify that read the order first would text the number being corrected
// away. (On SQLite one connection runs one transaction at a time, so there is no such moment.)
describePostgres('Notify while a correction of the number is being saved', (engine) => {
  it('waits for the correction and texts the new number, never the old one', async () => {
    const { agent, database, orders, sender } = await withOrder(engine);
    const { version } = await openForm(agent);
    await agent.refreshToken('/');
    let commit: () => void = () => {};
    let corrected: () => void = () => {};
    const correctedYet = new Promise<void>((resolve) => { corrected = resolve; });
    const correction = database.transaction(async () => {
      await orders.edit(ada, { customerName: 'Ada Lovelace', phone: '+31622222222', deliveryAddress: null, items: '1 x Margherita', note: null, scheduledFor: null }, version, null);
      corrected();
      await new Promise<void>((resolve) => { commit = resolve; });
    });
    await correctedYet;

    const notify = agent.post(`/orders/${ada}/notify`).send({ status: 'pending', expectedStatus: 'pending' });
    const answered = notify.then(() => true);
    // Notify waits for the order's lock while the correction is open.
    expect(await Promise.race([answered, new Promise((resolve) => setTimeout(() => resolve(false), 300))])).toBe(false);
    commit();
    await correction;
    expect((await notify).status).toBe(303);

    expect(sender.sent.map((sent) => sent.recipient)).toEqual(['+31622222222']);
    expect(sender.sent[0]!.body).toContain('Ada Lovelace');
  });
});
