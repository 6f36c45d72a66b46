import supertest from 'supertest';
import { expect, it } from 'vitest';
import { createReplyRepository, repliesPageSize } from '../src/notifications/reply-repository.ts';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, makeOrder, orderIdFor, testConfig } from './support/helpers.ts';
import type { TestClient } from './support/helpers.ts';

const token = 'inbound-token-0123456789abcdefghijklmnop';
const inbound = `/webhooks/messagebird/inbound/${token}`;
const ada = orderIdFor('ada');
const adaPhone = '+31611111111';
const adaOriginator = '31611111111';

async function kitchen(engine: TestEngine) {
  const test = await createTestApp({ engine, config: testConfig({ INBOUND_WEBHOOK_TOKEN: token }) });
  await test.orders.insert(makeOrder({ id: ada, customerName: 'Ada Lovelace', phone: adaPhone, items: '1 x Margherita', status: 'confirmed' }));
  const agent = await test.signIn();
  const replies = createReplyRepository(test.database);
  /** The customer texts the restaurant's number; MessageBird's flow forwards it here. */
  const text = (payload: string, fields: Record<string, string | number> = {}) =>
    supertest(test.app).post(inbound).type('form').send({ originator: adaOriginator, payload, ...fields });
  return { ...test, agent, replies, text };
}

const rowOf = async (agent: TestClient, orderId = ada) => {
  const page = (await agent.get('/').expect(200)).text;
  return new RegExp(`<tr id="order-${orderId}"[^]*?</tr>`).exec(page)?.[0] ?? '';
};

const countsOf = async (agent: TestClient) => /<p class="counts"[\s\S]*?<\/p>/.exec((await agent.get('/').expect(200)).text)![0];

describeEngines('texts customers send back', (engine) => {
  it('are kept with the customer’s order and shown in its row on the board, until someone marks them read', async () => {
    const { agent, text, replies } = await kitchen(engine);
    expect(await rowOf(agent)).not.toContain('class="reply"');

    await text('Please ring twice, the bell is broken').expect(200).expect('OK');

    const row = await rowOf(agent);
    expect(row).toContain('<small>The customer texted</small> <q>Please ring twice, the bell is broken</q>');
    expect(row).toMatch(/<form method="post" action="\/orders\/[0-9a-f]+\/replies\/read">.*<button class="outline" aria-label="Mark read: Ada Lovelace’s text">Mark read<\/button>/);
    expect(await countsOf(agent)).toContain('1 unread text from a customer');
    const [kept] = await replies.forOrder(ada);
    expect(kept).toMatchObject({ phone: adaPhone, orderId: ada, customerName: 'Ada Lovelace', readAt: null, readBy: null });

    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/replies/read`).send({ upTo: String(kept!.id) }).expect(303).expect('location', `/#order-${ada}`);

    const board = (await agent.get('/').expect(200)).text;
    expect(board).toContain('Ada Lovelace&#39;s text marked read.');
    expect(await rowOf(agent)).not.toContain('class="reply"');
    expect(await countsOf(agent)).not.toContain('unread text');
    expect(await replies.forOrder(ada)).toMatchObject([{ readBy: 'cook' }]);
  });

  it('lists every text on the order’s page, oldest first, and marks them read from there', async () => {
    const { agent, text } = await kitchen(engine);
    await text('I am at the back door').expect(200);
    await text('Code 1234 <b>please</b>').expect(200);

    const row = await rowOf(agent);
    expect(row).toContain('<small>2 texts from the customer, the newest</small> <q>Code 1234 &lt;b&gt;please&lt;/b&gt;</q>');

    const page = (await agent.get(`/orders/${ada}`).expect(200)).text;
    expect(page).toContain('Texts with the customer <span class="badge badge-replies" id="conversation-unread">2 unread</span>');
    // What they ask may need a status change: right here, or in the board's row.
    expect(page).toContain(`<a href="/#order-${ada}" role="button" class="secondary">Show it on the board</a>`);
    expect(page).toContain(`<form method="post" action="/orders/${ada}/status" class="status-form"`);
    expect(page.indexOf('I am at the back door')).toBeLessThan(page.indexOf('Code 1234 &lt;b&gt;please&lt;/b&gt;'));
    expect(page).not.toContain('<b>please</b>');

    await agent.refreshToken(`/orders/${ada}`);
    const upTo = /name="upTo" value="(\d+)"/.exec(page)![1]!;
    await agent.post(`/orders/${ada}/replies/read`).send({ upTo, from: 'order' }).expect(303).expect('location', `/orders/${ada}`);
    const after = (await agent.get(`/orders/${ada}`).expect(200)).text;
    expect(after).toContain('Ada Lovelace&#39;s 2 texts marked read.');
    expect(after.match(/read by cook at/g)).toHaveLength(2);
    expect(after).toContain('<span class="badge badge-replies" id="conversation-unread" hidden>0 unread</span>');
  });

  it('serves the order’s conversation alone for its page’s script, taking no flash meant for the next page', async () => {
    const { agent, text } = await kitchen(engine);
    await text('Is it on its way?').expect(200);
    await agent.refreshToken('/');
    const upTo = /name="upTo" value="(\d+)"/.exec(await rowOf(agent))![1]!;
    // A flash waits for the next page (Mark read's redirect) while the fragment is read.
    await agent.post(`/orders/${ada}/replies/read`).send({ upTo, from: 'order' }).expect(303);
    await text('Thanks!').expect(200);
    const fragment = await agent.get(`/orders/${ada}/conversation`).expect(200);
    expect(fragment.text).toMatch(/^<div id="conversation-list" data-unread="1" data-up-to="\d+">/);
    expect(fragment.text).toContain('<q>Thanks!</q>');
    expect(fragment.text).not.toContain('<html');
    expect((await agent.get(`/orders/${ada}`).expect(200)).text).toContain('Ada Lovelace&#39;s text marked read.');
    await agent.get(`/orders/${orderIdFor('nobody')}/conversation`).expect(404);
  });

  it('leaves a text that came in after the page was shown unread', async () => {
    const { agent, text, replies } = await kitchen(engine);
    await text('Can I add a drink?').expect(200);
    const upTo = /name="upTo" value="(\d+)"/.exec(await rowOf(agent))![1]!;
    await text('A cola please').expect(200);

    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/replies/read`).send({ upTo }).expect(303);

    expect((await replies.forOrder(ada)).map((reply) => [reply.body, reply.readBy])).toEqual([['Can I add a drink?', 'cook'], ['A cola please', null]]);
    expect(await rowOf(agent)).toContain('<q>A cola please</q>');
  });

  it('refuses a Mark read without the texts it showed (400), and one for an unknown order (404), changing nothing', async () => {
    const { agent, text, replies } = await kitchen(engine);
    await text('Hello?').expect(200);
    await agent.refreshToken('/');
    for (const upTo of [undefined, '', 'all', '-1', '1.5']) {
      const refused = await agent.post(`/orders/${ada}/replies/read`).send(upTo === undefined ? {} : { upTo }).expect(400);
      expect(refused.text).toContain('Nothing was marked read: the form did not say which texts it showed');
    }
    await agent.post(`/orders/${orderIdFor('nobody')}/replies/read`).send({ upTo: '1' }).expect(404);
    expect(await replies.forOrder(ada)).toMatchObject([{ readAt: null }]);
    // Without the form's CSRF token nothing is marked either.
    await agent.agent.post(`/orders/${ada}/replies/read`).type('form').send({ upTo: '1' }).expect(403);
    expect(await replies.forOrder(ada)).toMatchObject([{ readAt: null }]);
  });

  it('go with the customer’s newest order on the board; with none there, their newest order; with no order, none', async () => {
    const { orders, text, replies, agent, database } = await kitchen(engine);
    // Ada's confirmed order came in first; a newer one of hers is already delivered.
    const delivered = orderIdFor('ada-later');
    await orders.insert(makeOrder({ id: delivered, customerName: 'Ada Lovelace', phone: adaPhone, status: 'delivered' }));
    await database.run('UPDATE orders SET created_at = ? WHERE id = ?', [new Date(Date.now() + 60_000).toISOString(), delivered]);
    await text('Where is it?').expect(200);
    expect((await replies.forOrder(ada)).map((reply) => reply.body)).toEqual(['Where is it?']);

    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/status`).send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(303);
    await text('Thanks, it was lovely').expect(200);
    expect((await replies.forOrder(delivered)).map((reply) => reply.body)).toEqual(['Thanks, it was lovely']);

    await text('Do you deliver to Utrecht?', { originator: '447911123456' }).expect(200);
    const { replies: newest } = await replies.page({});
    expect(newest[0]).toMatchObject({ body: 'Do you deliver to Utrecht?', phone: '+447911123456', orderId: null, customerName: null });
  });

  it('keeps a call MessageBird repeats (the same message id) once, and two messages with their own ids twice', async () => {
    const { text, replies } = await kitchen(engine);
    await text('Extra napkins please', { id: 'mb-in-1' }).expect(200).expect('OK');
    await text('Extra napkins please', { id: 'mb-in-1' }).expect(200).expect('OK: already received.');
    // Sent at the same moment, as a retry can race the first call.
    const both = await Promise.all([text('And a fork', { id: 'mb-in-2' }), text('And a fork', { id: 'mb-in-2' })]);
    expect(both.map((response) => response.status)).toEqual([200, 200]);
    await text('Extra napkins please', { id: 'mb-in-3' }).expect(200).expect('OK');
    expect((await replies.forOrder(ada)).map((reply) => reply.body)).toEqual(['Extra napkins please', 'And a fork', 'Extra napkins please']);
  });

  it('keeps STOP as the customer’s text too, and still opts the number out when MessageBird repeats it', async () => {
    const { text, replies, agent } = await kitchen(engine);
    await text('CANCEL', { id: 'mb-stop' }).expect(200).expect('OK');
    // The first call kept the text; suppose it failed before the opt-out. The repeat still opts out.
    await agent.refreshToken(`/orders/${ada}`);
    await agent.post(`/orders/${ada}/opt-in`).expect(303);
    await text('CANCEL', { id: 'mb-stop' }).expect(200).expect('OK');
    expect((await agent.get(`/orders/${ada}`).expect(200)).text).toContain('<strong class="opted-out">opted out</strong>');
    // "CANCEL" may mean the order: the kitchen sees it in the row.
    expect(await rowOf(agent)).toContain('<q>CANCEL</q>');
    expect(await replies.forOrder(ada)).toHaveLength(1);
  });

  it('ignores an empty text, and one from a sender that is not a mobile number, keeping nothing', async () => {
    const { text, replies } = await kitchen(engine);
    await text('   ').expect(200).expect('OK: empty; ignored.');
    await text('Hi', { originator: 'OmNomNom' }).expect(200).expect('OK: the originator is not a mobile number; ignored.');
    expect((await replies.page({})).replies).toEqual([]);
  });

  it('cuts a long text in the row, and shows it whole on the order’s page', async () => {
    const { text, agent } = await kitchen(engine);
    // Letters no id or token holds.
    const long = `${'x'.repeat(199)}y${'z'.repeat(300)}`;
    await text(long).expect(200);
    const row = await rowOf(agent);
    expect(row).toContain(`<q>${'x'.repeat(199)}y…</q>`);
    expect(row).not.toContain('z');
    expect((await agent.get(`/orders/${ada}`).expect(200)).text).toContain(long);
  });

  it('shows a text to a finished order in the Done view with a link to the order, not a button', async () => {
    const { text, agent } = await kitchen(engine);
    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/status`).send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(303);
    await text('The drink was missing').expect(200);
    const done = (await agent.get('/done').expect(200)).text;
    const row = new RegExp(`<tr id="order-${ada}"[^]*?</tr>`).exec(done)![0];
    expect(row).toContain(`<q>The drink was missing</q> <a href="/orders/${ada}#conversation-heading">Read and answer</a>`);
    expect(row).not.toContain('/replies/read');
  });
});

describeEngines('the Replies page', (engine) => {
  it('lists every text newest first, with its order or number, and filters the unread ones', async () => {
    const { agent, text } = await kitchen(engine);
    await text('First').expect(200);
    await text('Who is this?', { originator: '447911123456' }).expect(200);

    const page = (await agent.get('/replies').expect(200)).text;
    expect(page).toContain('<h1>Texts from customers</h1>');
    expect(page.indexOf('Who is this?')).toBeLessThan(page.indexOf('First'));
    expect(page).toContain(`<a href="/orders/${ada}">#1 Ada Lovelace</a>`);
    expect(page).toContain('<a href="tel:+447911123456">+447911123456</a>');
    expect(page).toContain('Unread only (2)');
    expect(page).toContain('Mark all 2 unread texts read');
    // Every page links to it.
    expect((await agent.get('/').expect(200)).text).toContain('<a href="/replies">Replies</a>');
  });

  it('marks one text read and goes back to the list it came from', async () => {
    const { agent, text, replies } = await kitchen(engine);
    await text('First').expect(200);
    await text('Second').expect(200);
    const [second, first] = (await replies.page({})).replies;
    await agent.refreshToken('/replies?unread=1');
    await agent.post(`/replies/${first!.id}/read`).send({ unread: '1' }).expect(303).expect('location', '/replies?unread=1');
    const unread = (await agent.get('/replies?unread=1').expect(200)).text;
    expect(unread).toContain('The text from Ada Lovelace is marked read.');
    expect(unread).toContain('Second');
    expect(unread).not.toContain('<q>First</q>');
    expect(await replies.findById(second!.id)).toMatchObject({ readAt: null });
    // Again: nothing changes, and it says so.
    await agent.post(`/replies/${first!.id}/read`).expect(303).expect('location', '/replies');
    expect((await agent.get('/replies').expect(200)).text).toContain('was already marked read; nothing changed.');
    await agent.post('/replies/99999999/read').expect(404);
    await agent.post('/replies/not-a-number/read').expect(404);
  });

  it('marks all read up to the newest the page showed, not one that came in since', async () => {
    const { agent, text, replies } = await kitchen(engine);
    await text('One').expect(200);
    await text('Two').expect(200);
    const page = (await agent.get('/replies').expect(200)).text;
    await agent.refreshToken('/replies');
    await text('Three').expect(200);
    const upTo = /action="\/replies\/read">[\s\S]*?name="upTo" value="(\d+)"/.exec(page)![1]!;
    await agent.post('/replies/read').send({ upTo }).expect(303).expect('location', '/replies');
    expect((await agent.get('/replies').expect(200)).text).toContain('2 texts marked read.');
    expect((await replies.page({ unreadOnly: true })).replies.map((reply) => reply.body)).toEqual(['Three']);
    await agent.post('/replies/read').send({ upTo: 'everything' }).expect(400);
    expect((await replies.page({ unreadOnly: true })).replies).toHaveLength(1);
  });

  it('pages through many texts, 50 at a time', async () => {
    const { agent, replies } = await kitchen(engine);
    for (let index = 1; index <= repliesPageSize + 3; index += 1) await replies.receive({ phone: adaPhone, body: `Text number ${index}.` });
    const first = (await agent.get('/replies').expect(200)).text;
    expect(first).toContain('Text number 53.');
    expect(first).toContain('Text number 4.');
    expect(first).not.toContain('Text number 3.');
    const next = /<a href="([^"]+)" rel="next">Older →<\/a>/.exec(first)![1]!.replaceAll('&amp;', '&');
    const second = (await agent.get(next).expect(200)).text;
    expect(second).toContain('Text number 3.');
    expect(second).toContain('Text number 1.');
    expect(second).not.toContain('Text number 4.');
    expect(second).toContain('← Newest');
    expect(second).not.toContain('rel="next"');
  });

  it('answers 400 with the reason for a broken link, and sends the signed-out to sign in', async () => {
    const { agent, anonymous } = await kitchen(engine);
    expect((await agent.get('/replies?before=abc').expect(400)).text).toContain('That page link is broken; start from the newest texts');
    expect((await agent.get('/replies?unread=yes').expect(400)).text).toContain('Show all texts, or unread=1 for the unread ones');
    await anonymous().get('/replies').expect(303).expect('location', /^\/login/);
  });
});
