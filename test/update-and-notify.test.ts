import { pino } from 'pino';
import { expect, it } from 'vitest';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createLogOnlySender } from '../src/notifications/log-only-sender.ts';
import { createOptOutRepository } from '../src/notifications/opt-out-repository.ts';
import type { SmsSender } from '../src/notifications/sms-sender.ts';
import { createTestApp, FakeSmsSender, makeOrder } from './support/helpers.ts';

const don = '000000000000000000000000000000d0';
const status = `/orders/${don}/status`;

async function setup(engine: TestEngine, options: { sender?: SmsSender; orderStatus?: 'pending' | 'confirmed' } = {}) {
  const sender = options.sender ?? new FakeSmsSender();
  const context = await createTestApp({ engine, sender });
  await context.orders.insert(makeOrder({ id: don, customerName: 'Don Cheetos', phone: '+31612345678', status: options.orderStatus ?? 'pending' }));
  return { ...context, agent: await context.signIn() };
}

/** The flash the board shows after the redirect. */
async function flashOn(agent: Awaited<ReturnType<typeof setup>>['agent']): Promise<string> {
  const page = (await agent.get('/').expect(200)).text;
  return /<div class="flash[^>]*>\s*<p>([^<]*)<\/p>/.exec(page)?.[1] ?? '';
}

describeEngines('POST /orders/:orderId/status with "Text the customer"', (engine) => {
  it('changes the status and texts the customer in one press, and the flash says both', async () => {
    const { agent, sender, messages, orders } = await setup(engine);

    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303).expect('location', `/#order-${don}`);

    expect((await orders.findById(don))!.status).toBe('confirmed');
    expect((sender as FakeSmsSender).sent.map((message) => message.body)).toEqual([
      'Hello, Don Cheetos, thanks for ordering at OmNomNom Foods! We are now preparing your food with love and fresh ingredients and will keep you updated.',
    ]);
    // The text names the change it announces: the outbox's one text per status change holds.
    const [message] = await messages.forOrder(don);
    expect(message).toMatchObject({ state: 'sent', orderStatus: 'confirmed', statusChangeId: (await orders.latestChange(don))!.id, requestedBy: 'cook' });
    expect(await flashOn(agent)).toBe('Don Cheetos&#39;s order is now confirmed and Don Cheetos was texted.');
  });

  it('writes the change and the queued text in one transaction: when the text cannot be queued, the status is not changed either', async () => {
    const { agent, database, orders } = await setup(engine);
    if (database.engine === 'postgres') {
      await database.run("CREATE FUNCTION outbox_broken() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox broken'; END $$");
      await database.run('CREATE TRIGGER outbox_broken BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION outbox_broken()');
    } else {
      await database.run("CREATE TRIGGER outbox_broken BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'outbox broken'); END");
    }

    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(500);

    expect((await orders.findById(don))!.status).toBe('pending');
    expect(await orders.history(don)).toHaveLength(1);
  });

  it('stops a text still queued about the earlier status when the order moves on, and says so', async () => {
    const sender = new FakeSmsSender();
    const { agent, messages, database } = await setup(engine, { sender });
    // MessageBird is busy: the confirmed text waits in the queue for a retry.
    sender.next = async () => ({ kind: 'try-later', reasons: ['Service unavailable'], code: 7, statusCode: 503 });
    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);
    await expect.poll(async () => (await messages.forOrder(don))[0], { timeout: 5000 }).toMatchObject({ state: 'queued', attempts: 1 });
    // Its retry is not due before the change below.
    await database.run("UPDATE messages SET next_attempt_at = ? WHERE state = 'queued'", [new Date(Date.now() + 86_400_000).toISOString()]);
    await agent.refreshToken('/');

    await agent.post(status).send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(303);

    expect(await messages.forOrder(don)).toMatchObject([{ orderStatus: 'confirmed', state: 'cancelled', errorDescription: 'Not sent: the order was delivered before it went out' }]);
    const page = (await agent.get('/').expect(200)).text;
    expect(page).toContain('Don Cheetos&#39;s order is now delivered.');
    expect(page).toContain('A text still queued about an earlier status was not sent.');
    expect(sender.sent).toHaveLength(1);
  });

  it('changes the status without texting when the box is not ticked (or the page has no box)', async () => {
    const { agent, sender, messages, orders } = await setup(engine);

    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending' }).expect(303);

    expect((await orders.findById(don))!.status).toBe('confirmed');
    expect((sender as FakeSmsSender).sent).toHaveLength(0);
    expect(await messages.forOrder(don)).toHaveLength(0);
    expect(await flashOn(agent)).toBe('Don Cheetos&#39;s order is now confirmed.');
  });

  it('answers 400 for a box value a board never sends, and changes nothing', async () => {
    const { agent, messages, orders } = await setup(engine);
    const response = await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'yes please' }).expect(400);
    expect(response.text).toContain('the &#34;Text the customer&#34; box sent an unexpected value');
    expect((await orders.findById(don))!.status).toBe('pending');
    expect(await messages.forOrder(don)).toHaveLength(0);
  });

  it('says the status changed but nothing was sent when no MessageBird key is configured', async () => {
    const { agent, messages, orders } = await setup(engine, { sender: createLogOnlySender(pino({ level: 'silent' })) });

    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);

    expect((await orders.findById(don))!.status).toBe('confirmed');
    expect((await messages.forOrder(don))[0]!.state).toBe('not-sent');
    expect(await flashOn(agent)).toMatch(/^Don Cheetos&#39;s order is now confirmed, but nothing was sent: no MessageBird API key is configured\. Don Cheetos would have received: “Hello, Don Cheetos, thanks/);
  });

  it('changes the status but queues no text for a customer who replied STOP, and says why', async () => {
    const { agent, sender, messages, orders, database } = await setup(engine);
    await createOptOutRepository(database).optOut('+31612345678', { source: 'keyword', keyword: 'STOP' });

    // A page from before the opt-out still has the box ticked.
    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);

    expect((await orders.findById(don))!.status).toBe('confirmed');
    expect(await messages.forOrder(don)).toEqual([]);
    expect((sender as FakeSmsSender).sent).toEqual([]);
    expect(await flashOn(agent)).toMatch(/^Don Cheetos&#39;s order is now confirmed, but nothing was sent: Don Cheetos replied STOP at \d\d:\d\d and gets no more texts\.$/);
  });

  it('says the status changed but MessageBird refused the text, with its reasons', async () => {
    const sender = new FakeSmsSender();
    sender.next = async () => ({ kind: 'refused', statusCode: 422, code: 25, reasons: ['Not enough balance'] });
    const { agent, messages, orders } = await setup(engine, { sender });

    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);

    expect((await orders.findById(don))!.status).toBe('confirmed');
    expect((await messages.forOrder(don))[0]).toMatchObject({ state: 'failed', errorCode: 25 });
    const page = (await agent.get('/').expect(200)).text;
    expect(page).toContain('role="alert"');
    expect(page).toContain('Don Cheetos&#39;s order is now confirmed, but MessageBird refused it: Not enough balance.');
  });

  it('queues nothing when the page was out of date: 409, and the text is not sent', async () => {
    const { agent, messages, orders, signIn } = await setup(engine);
    const chef = await signIn('chef');
    await chef.post(status).send({ status: 'delivered', expectedStatus: 'pending' }).expect(303);

    const response = await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(409);

    expect(response.text).toMatch(/Don Cheetos&#39;s order was changed to delivered by chef at \d\d:\d\d — check the board and try again\. Your choice, confirmed, was not saved and nothing was sent\./);
    expect((await orders.findById(don))!.status).toBe('delivered');
    expect(await messages.forOrder(don)).toHaveLength(0);
  });

  it('does not text when the order already had that status', async () => {
    const { agent, messages } = await setup(engine, { orderStatus: 'confirmed' });

    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'confirmed', text: 'on' }).expect(303);

    expect(await messages.forOrder(don)).toHaveLength(0);
    expect(await flashOn(agent)).toBe('Don Cheetos&#39;s order was already confirmed; nothing changed and nothing was sent.');
  });

  it('texts once when the same press arrives several times at once', async () => {
    const { agent, sender, messages, orders } = await setup(engine);

    const answers = await Promise.all(Array.from({ length: 5 }, () =>
      agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' })));

    expect(answers.map((answer) => answer.status)).toEqual([303, 303, 303, 303, 303]);
    expect((sender as FakeSmsSender).sent).toHaveLength(1);
    expect(await messages.forOrder(don)).toHaveLength(1);
    expect((await orders.history(don)).map((change) => change.status)).toEqual(['pending', 'confirmed']);
  });

  it('leaves Notify as it was: after update-and-notify it says the customer was already texted', async () => {
    const { agent, sender } = await setup(engine);
    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);

    await agent.post(`/orders/${don}/notify`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);

    expect((sender as FakeSmsSender).sent).toHaveLength(1);
    expect(await flashOn(agent)).toMatch(/^Don Cheetos was already texted that their order is confirmed/);
  });

  it('keeps the row\'s box as it was when Notify refuses a list showing an unsaved status', async () => {
    const { agent } = await setup(engine, { orderStatus: 'confirmed' });
    // delivered's box starts ticked; this press had it unticked.
    const response = await agent.post(`/orders/${don}/notify`).send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(409);
    const row = new RegExp(`<tr id="order-${don}"[^]*?</tr>`).exec(response.text)![0];
    expect(row).toContain('<option selected>delivered');
    expect(row).toContain('<input type="checkbox" name="text">');
  });
});
