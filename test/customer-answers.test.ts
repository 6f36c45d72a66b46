import supertest from 'supertest';
import { expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { createReplyRepository } from '../src/notifications/reply-repository.ts';
import { createZonedCalendar } from '../src/web/zoned-days.ts';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, FakeSmsSender, makeOrder, orderIdFor, testConfig } from './support/helpers.ts';
import type { TestClient } from './support/helpers.ts';

const token = 'inbound-token-0123456789abcdefghijklmnop';
const ada = orderIdFor('ada');
const adaPhone = '+31611111111';
const answerPath = `/orders/${ada}/answer`;

async function kitchen(engine: TestEngine) {
  const sender = new FakeSmsSender();
  const test = await createTestApp({ engine, sender, config: testConfig({ INBOUND_WEBHOOK_TOKEN: token }) });
  await test.orders.insert(makeOrder({ id: ada, customerName: 'Ada Lovelace', phone: adaPhone, items: '1 x Margherita', status: 'confirmed' }));
  const agent = await test.signIn();
  const replies = createReplyRepository(test.database);
  const customerTexts = (payload: string) =>
    supertest(test.app).post(`/webhooks/messagebird/inbound/${token}`).type('form').send({ originator: adaPhone.slice(1), payload }).expect(200);
  return { ...test, sender, agent, replies, customerTexts };
}

/** The order's page and the fields of its answer form. */
async function answerForm(agent: TestClient) {
  const page = (await agent.refreshToken(`/orders/${ada}`)).text;
  const form = /<form method="post" action="\/orders\/[0-9a-f]+\/answer"[^]*?<\/form>/.exec(page)?.[0];
  return {
    page,
    form,
    formToken: form && /name="formToken" value="([0-9a-f]{32})"/.exec(form)![1]!,
    upTo: form && /name="upTo" value="(\d+)"/.exec(form)?.[1],
  };
}

/** MessageBird answered "try later": the queued texts wait for a retry that is not due before the test ends. */
const retryTomorrow = (test: { database: { run: (sql: string, params: unknown[]) => Promise<unknown> } }) =>
  test.database.run("UPDATE messages SET next_attempt_at = ? WHERE state = 'queued'", [new Date(Date.now() + 86_400_000).toISOString()]);

describeEngines('answering a customer’s text', (engine) => {
  it('texts the order’s number through the outbox, shows it in the conversation and marks their texts read', async () => {
    const { agent, sender, customerTexts, replies } = await kitchen(engine);
    await customerTexts('Can I add a cola?');
    const { formToken, upTo } = await answerForm(agent);
    expect(upTo).toBeDefined();

    await agent.post(answerPath).send({ body: '  Yes, a cola is on its way with your pizza.  ', formToken, upTo }).expect(303)
      .expect('location', `/orders/${ada}#conversation-heading`);

    expect(sender.sent.map((message) => [message.recipient, message.body])).toEqual([[adaPhone, 'Yes, a cola is on its way with your pizza.']]);
    const page = (await agent.get(`/orders/${ada}`).expect(200)).text;
    expect(page).toContain('Your text to Ada Lovelace was sent.');
    // Oldest first: her text, then the answer with its state.
    const conversation = /<ol class="replies">[^]*?<\/ol>/.exec(page)![0];
    expect(conversation.indexOf('Can I add a cola?')).toBeLessThan(conversation.indexOf('Yes, a cola is on its way'));
    expect(conversation).toMatch(/<li class="answer">.*cook: <q>Yes, a cola is on its way with your pizza\.<\/q> .*message-sent/);
    expect(await replies.forOrder(ada)).toMatchObject([{ readBy: 'cook' }]);
  });

  it('texts once when the same form is sent twice, one after the other or at the same moment', async () => {
    const { agent, sender } = await kitchen(engine);
    const { formToken } = await answerForm(agent);
    await agent.post(answerPath).send({ body: 'See you soon', formToken }).expect(303);
    await agent.post(answerPath).send({ body: 'See you soon', formToken }).expect(303);
    expect((await agent.get(`/orders/${ada}`).expect(200)).text).toContain('That text to Ada Lovelace was already sent');

    const second = (await answerForm(agent)).formToken;
    await Promise.all([agent.post(answerPath).send({ body: 'Ring twice', formToken: second }), agent.post(answerPath).send({ body: 'Ring twice', formToken: second })]);
    expect(sender.sent.map((message) => message.body)).toEqual(['See you soon', 'Ring twice']);
  });

  it('refuses an empty or too long text, or a form without its token, with 400, keeping what was typed and sending nothing', async () => {
    const { agent, sender, messages } = await kitchen(engine);
    const { formToken } = await answerForm(agent);
    const empty = await agent.post(answerPath).send({ body: '   ', formToken }).expect(400);
    expect(empty.text).toContain('Nothing was sent to Ada Lovelace: write the text.');
    const long = `Dear Ada, ${'very '.repeat(130)}sorry`;
    const tooLong = await agent.post(answerPath).send({ body: long, formToken }).expect(400);
    expect(tooLong.text).toContain('write at most 612 characters');
    expect(tooLong.text).toContain(`>${long}</textarea>`);
    const noToken = await agent.post(answerPath).send({ body: 'Hello <there>' }).expect(400);
    expect(noToken.text).toContain('the form is out of date; reload the page and try again');
    expect(noToken.text).toContain('>Hello &lt;there&gt;</textarea>');
    await agent.post(`/orders/${orderIdFor('nobody')}/answer`).send({ body: 'Hi', formToken }).expect(404);
    await agent.agent.post(answerPath).type('form').send({ body: 'Hi', formToken }).expect(403);
    expect(sender.sent).toEqual([]);
    expect(await messages.forOrder(ada)).toEqual([]);
  });

  it('sends nothing to a customer who opted out: 409, the text kept, and no form on the page', async () => {
    const { agent, sender, customerTexts } = await kitchen(engine);
    const { formToken } = await answerForm(agent);
    await customerTexts('STOP');
    const refused = await agent.post(answerPath).send({ body: 'Sorry to see you go', formToken }).expect(409);
    expect(refused.text).toContain('Nothing was sent: Ada Lovelace replied STOP at');
    // No form for a number that opted out: what was typed is given back in the message.
    expect(refused.text).not.toContain('</textarea>');
    expect(refused.text).toContain('Your text: “Sorry to see you go”');
    expect(sender.sent).toEqual([]);
    expect((await answerForm(agent)).form).toBeUndefined();
  });

  it('is not stopped by a status change, and leaves the row’s text state and Notify’s one text per change alone', async () => {
    const { agent, sender, messages, dispatcher, database } = await kitchen(engine);
    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/notify`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);
    // MessageBird is busy for the answer: it waits in the queue for a retry.
    sender.next = async () => ({ kind: 'try-later', reasons: ['Service unavailable'], code: 7, statusCode: 503 });
    const { formToken } = await answerForm(agent);
    await agent.post(answerPath).send({ body: 'It will be there at 19:30', formToken }).expect(303);
    await expect.poll(async () => (await messages.forOrder(ada))[0], { timeout: 5000 }).toMatchObject({ kind: 'answer', state: 'queued', attempts: 1 });
    await retryTomorrow({ database });

    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/status`).send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(303);
    expect((await messages.forOrder(ada))[0]).toMatchObject({ kind: 'answer', state: 'queued' });
    // The row still shows the status text (sent), and offers Send again for it.
    const row = new RegExp(`<tr id="order-${ada}"[^]*?</tr>`).exec((await agent.get('/').expect(200)).text)![0];
    expect(row).toContain('message-sent');

    // The retry comes: the answer goes out, though the order has moved on.
    sender.next = async () => ({ kind: 'accepted', providerMessageId: 'mb-answer' });
    await database.run("UPDATE messages SET next_attempt_at = ? WHERE state = 'queued'", [new Date().toISOString()]);
    dispatcher.kick();
    await expect.poll(async () => (await messages.forOrder(ada))[0]!.state, { timeout: 5000 }).toBe('sent');
    expect(sender.sent.map((message) => message.body).at(-1)).toBe('It will be there at 19:30');
  });

  it('does not count as the status text: Notify after an answer still texts the status once', async () => {
    const { agent, sender } = await kitchen(engine);
    const { formToken } = await answerForm(agent);
    await agent.post(answerPath).send({ body: 'Almost ready!', formToken }).expect(303);
    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/notify`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);
    await agent.post(`/orders/${ada}/notify`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);
    expect(sender.sent.map((message) => message.body)).toEqual(['Almost ready!', expect.stringContaining('Hello, Ada Lovelace')]);
  });

  it('is marked as an answer in the message log export', async () => {
    const { agent, config } = await kitchen(engine);
    const { formToken } = await answerForm(agent);
    await agent.post(answerPath).send({ body: 'Almost ready!', formToken }).expect(303);
    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/notify`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);
    const today = createZonedCalendar(config.timeZone).dayOf(new Date());
    const log = (await agent.get(`/messages/log.csv?from=${today}&to=${today}`).expect(200)).text;
    expect(log).toMatch(/,'\+31611111111,confirmed,answer,sent,1,,,Almost ready!\r\n/);
    expect(log).toMatch(/,'\+31611111111,confirmed,status text,sent,1,,,"Hello, Ada Lovelace/);
  });

  it('stays out of the API’s list of texts about the order’s statuses', async () => {
    const { agent, app, database } = await kitchen(engine);
    const { formToken } = await answerForm(agent);
    await agent.post(answerPath).send({ body: 'Almost ready!', formToken }).expect(303);
    await agent.refreshToken('/');
    await agent.post(`/orders/${ada}/notify`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);
    const { key } = (await createApiKeyRepository(database).create({ name: 'webshop', createdBy: null }))!;
    const order = await supertest(app).get(`/api/orders/${ada}`).set('Authorization', `Bearer ${key}`).expect(200);
    expect(order.body.messages).toMatchObject([{ forStatus: 'confirmed', state: 'sent' }]);
  });
});
