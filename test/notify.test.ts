import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createLogOnlySender } from '../src/notifications/log-only-sender.ts';
import type { SendOutcome } from '../src/notifications/sms-sender.ts';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, FakeSmsSender, makeOrder, testConfig } from './support/helpers.ts';

/** The row's status form as Notify submits it, with the list showing the status the page was rendered with. */
const shows = (status: string) => ({ status, expectedStatus: status });

async function setup(engine: TestEngine, configOverrides: Record<string, string> = {}) {
  const sender = new FakeSmsSender();
  const context = await createTestApp({ engine, sender, config: testConfig(configOverrides) });
  await context.orders.insert(makeOrder({ id: '0000000000000000000000000000000a', customerName: 'Mike Madeater', phone: '+319876543211', status: 'delayed' }));
  return { ...context, sender, agent: await context.signIn() };
}

describeEngines('POST /orders/:orderId/notify', (engine) => {
  it('texts the customer the message for the current status and says so', async () => {
    const { agent, sender, messages } = await setup(engine);

    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303).expect('location', '/#order-0000000000000000000000000000000a');

    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0]).toMatchObject({
      recipient: '+319876543211',
      body: 'Hello, Mike Madeater, sometimes good things take time! Unfortunately your order is slightly delayed but will be delivered as soon as possible.',
    });
    const board = await agent.get('/');
    expect(board.text).toMatch(/role="status"[^>]*>\s*<p>Mike Madeater was notified that their order is delayed<\/p>/);
    expect((await messages.forOrder('0000000000000000000000000000000a'))[0]).toMatchObject({ state: 'sent', attempts: 1, providerMessageId: 'mb-1', requestedBy: 'cook' });
  });

  it('does not text twice for the same status, and says when it was sent', async () => {
    const { agent, sender } = await setup(engine);
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);

    expect(sender.sent).toHaveLength(1);
    const board = await agent.get('/');
    expect(board.text).toMatch(/Mike Madeater was already texted that their order is delayed \(at \d\d:\d\d, now sent\)\. Nothing was sent\./);
    expect(board.text).toContain('action="/orders/0000000000000000000000000000000a/resend"');
  });

  it('sends a double click only once', async () => {
    const { agent, sender } = await setup(engine);
    await Promise.all([agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')), agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')), agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed'))]);
    expect(sender.sent).toHaveLength(1);
  });

  it('texts again for a new status', async () => {
    const { agent, sender } = await setup(engine);
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);
    await agent.post('/orders/0000000000000000000000000000000a/status').send({ status: 'delivered', expectedStatus: 'delayed' }).expect(303);
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delivered')).expect(303);
    expect(sender.sent.map((message) => message.body.slice(0, 40))).toEqual([
      'Hello, Mike Madeater, sometimes good thi',
      'Hello, Mike Madeater, you can start sett',
    ]);
  });

  it('texts about a second delay: an order that went delayed → confirmed → delayed is a new change', async () => {
    const { agent, sender, database } = await setup(engine);
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);
    await agent.post('/orders/0000000000000000000000000000000a/status').send({ status: 'confirmed', expectedStatus: 'delayed' }).expect(303);
    await agent.post('/orders/0000000000000000000000000000000a/status').send({ status: 'delayed', expectedStatus: 'confirmed', delayMinutes: '20' }).expect(303);
    // The latest message announced the first delay: the board does not offer to send it "again".
    expect((await agent.get('/')).text).not.toContain('formaction="/orders/0000000000000000000000000000000a/resend"');

    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);

    expect(sender.sent.map((message) => message.body.slice(0, 40))).toEqual([
      'Hello, Mike Madeater, sometimes good thi',
      'Hello, Mike Madeater, sometimes good thi',
    ]);
    const board = await agent.get('/');
    expect(board.text).toContain('Mike Madeater was notified that their order is delayed');
    // Each message names the status change it announces: the first delay and the second.
    const announced = (await database.all<{ id: unknown }>(`SELECT change.id FROM messages JOIN order_status_changes AS change ON change.id = messages.status_change_id
      ORDER BY messages.id`)).map((row) => row.id);
    const delays = (await database.all<{ id: unknown }>("SELECT id FROM order_status_changes WHERE order_id = '0000000000000000000000000000000a' AND status = 'delayed' ORDER BY id")).map((row) => row.id);
    expect(announced).toEqual(delays);
  });

  it('texts a new change once, however many times Notify is pressed at once', async () => {
    const { agent, sender } = await setup(engine);
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);
    await agent.post('/orders/0000000000000000000000000000000a/status').send({ status: 'confirmed', expectedStatus: 'delayed' }).expect(303);
    await agent.post('/orders/0000000000000000000000000000000a/status').send({ status: 'delayed', expectedStatus: 'confirmed', delayMinutes: '20' }).expect(303);

    await Promise.all(Array.from({ length: 5 }, () => agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed'))));
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);

    expect(sender.sent).toHaveLength(2);
    const board = await agent.get('/');
    expect(board.text).toMatch(/Mike Madeater was already texted that their order is delayed/);
  });

  it('tries again after a failure: a failed message does not block Notify', async () => {
    const { agent, sender } = await setup(engine);
    sender.next = async () => ({ kind: 'refused', statusCode: 422, code: 25, reasons: ['Not enough balance'] });
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);
    sender.next = async () => ({ kind: 'accepted', providerMessageId: 'ok' });
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);
    expect(sender.sent).toHaveLength(2);
  });

  it('shows each provider error description when MessageBird refuses the message', async () => {
    const { agent, sender, orders, messages } = await setup(engine);
    sender.next = async () => ({ kind: 'refused', statusCode: 422, code: 9, reasons: ['no (correct) recipients found', 'Not enough balance'] });

    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);

    const board = await agent.get('/');
    expect(board.text).toContain('role="alert"');
    expect(board.text).toContain('Could not text Mike Madeater: the message failed');
    expect(board.text).toContain('<li>no (correct) recipients found</li>');
    expect(board.text).toContain('<li>Not enough balance</li>');
    expect((await orders.findById('0000000000000000000000000000000a'))!.status).toBe('delayed');
    expect((await messages.forOrder('0000000000000000000000000000000a'))[0]).toMatchObject({ state: 'failed', attempts: 1, errorCode: 9 });
  });

  it.each<[string, SendOutcome]>([
    ['refused connection', { kind: 'not-sent', statusCode: undefined, code: undefined, reasons: ['MessageBird refused the connection'] }],
    ['503 with MessageBird\'s error body', { kind: 'try-later', statusCode: 503, code: 7, reasons: ['Service unavailable'] }],
  ])('after a %s, explains it, keeps the message queued for a retry and the status unchanged', async (_name, outcome) => {
    const { agent, sender, orders, messages } = await setup(engine);
    sender.next = async () => outcome;

    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);

    const board = await agent.get('/');
    expect(board.text).toMatch(/Not sent yet to Mike Madeater; Order Desk will try again at \d\d:\d\d/);
    expect(board.text).toContain((outcome as { reasons: string[] }).reasons[0]);
    expect((await orders.findById('0000000000000000000000000000000a'))!.status).toBe('delayed');
    expect((await messages.forOrder('0000000000000000000000000000000a'))[0]).toMatchObject({ state: 'queued', attempts: 1 });
  });

  it.each<[string, () => Promise<SendOutcome>]>([
    ['timeout', async () => ({ kind: 'unknown', statusCode: undefined, code: undefined, reasons: ['MessageBird did not answer within 5 seconds'] })],
    ['sender that throws', async () => { throw new Error('bug'); }],
  ])('after a %s, says it is checking with MessageBird, and neither resends nor blocks Notify', async (_name, next) => {
    const { agent, sender, messages } = await setup(engine);
    sender.next = next;
    // MessageBird cannot be asked yet: the message stays "checking".
    sender.nextLookup = async () => ({ kind: 'unavailable', reason: 'down' });

    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);

    const board = await agent.get('/');
    expect(board.text).toContain('No clear answer from MessageBird: checking with MessageBird whether Mike Madeater got the message');
    expect(board.text).toMatch(/message-checking[^>]*><small>SMS<\/small> Checking with MessageBird/);
    expect((await messages.forOrder('0000000000000000000000000000000a'))[0]).toMatchObject({ state: 'checking', attempts: 1 });
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);
    expect(sender.sent).toHaveLength(1);
    const page = await agent.get('/orders/0000000000000000000000000000000a');
    expect(page.text).toContain('Checking with MessageBird');
  });

  it('says the message is on its way when the provider is slow, and the board shows it sending', async () => {
    const { agent, sender } = await setup(engine, { NOTIFY_WAIT_MS: '50' });
    let answer: () => void = () => {};
    sender.next = () => new Promise((resolve) => { answer = () => resolve({ kind: 'accepted', providerMessageId: 'late' }); });

    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);

    const board = await agent.get('/');
    expect(board.text).toContain('MessageBird is slow to answer: the message to Mike Madeater is on its way');
    expect(board.text).toMatch(/message-sending[^>]*><small>SMS<\/small> Sending/);
    answer();
    await expect.poll(async () => (await agent.get('/')).text).toMatch(/message-sent[^>]*><small>SMS<\/small> Sent/);
  });

  it('sends nothing while the list shows a status that was not saved: 409, says what to do, and keeps the choice', async () => {
    const { agent, sender, messages } = await setup(engine);

    const response = await agent.post('/orders/0000000000000000000000000000000a/notify').send({ status: 'delivered', expectedStatus: 'delayed' }).expect(409);

    expect(response.text).toContain('role="alert"');
    expect(response.text).toContain('Nothing was sent to Mike Madeater: the list shows delivered, but the saved status is delayed. Press Update to save delivered first, then notify — or set the list back to delayed.');
    expect(response.text).toMatch(/<option selected>delivered/);
    expect(sender.sent).toHaveLength(0);
    expect(await messages.forOrder('0000000000000000000000000000000a')).toHaveLength(0);
  });

  it('sends nothing when another tablet changed the order since the page was shown: 409 with who, what and when', async () => {
    const { agent, sender, signIn } = await setup(engine);
    const chef = await signIn('chef');
    await chef.post('/orders/0000000000000000000000000000000a/status').send({ status: 'delivered', expectedStatus: 'delayed' }).expect(303);

    const response = await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(409);

    expect(response.text).toMatch(/Nothing was sent\. Mike Madeater&#39;s order was changed to delivered by chef at \d\d:\d\d — check the board and try again\./);
    expect(response.text).toMatch(/<option selected>delivered/);
    expect(sender.sent).toHaveLength(0);
  });

  it('answers 400 and sends nothing when the form does not say what the board showed', async () => {
    const { agent, sender } = await setup(engine);
    const response = await agent.post('/orders/0000000000000000000000000000000a/notify').expect(400);
    expect(response.text).toContain('Nothing was sent to Mike Madeater: the form did not say which status the board showed; reload the board and try again.');
    expect(sender.sent).toHaveLength(0);
  });

  it('submits the row\'s status form from the Notify and Send again buttons, so the list\'s choice comes along', async () => {
    const { agent } = await setup(engine);
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);
    const board = await agent.get('/');
    // One form per row: the buttons post its fields (status, expectedStatus) to their own address.
    const form = /<form method="post" action="\/orders\/0000000000000000000000000000000a\/status">.*?<\/form>/s.exec(board.text)?.[0] ?? '';
    expect(form).toContain('<select name="status"');
    expect(form).toContain('<input type="hidden" name="expectedStatus" value="delayed">');
    expect(form).toContain('<button formaction="/orders/0000000000000000000000000000000a/notify">');
    expect(form).toContain('<button formaction="/orders/0000000000000000000000000000000a/resend">');
  });

  it('answers a 404 page for an unknown order and sends nothing', async () => {
    const { agent, sender } = await setup(engine);
    await agent.post('/orders/ghost/notify').expect(404);
    expect(sender.sent).toHaveLength(0);
  });

  it('says plainly that nothing was sent when no API key is configured', async () => {
    const context = await createTestApp({ engine, sender: createLogOnlySender(pino({ level: 'silent' })) });
    await context.orders.insert(makeOrder({ id: '0000000000000000000000000000000b', customerName: 'Hannah Hungry', status: 'pending' }));
    const agent = await context.signIn();

    await agent.post('/orders/0000000000000000000000000000000b/notify').send(shows('pending')).expect(303);

    const board = await agent.get('/');
    expect(board.text).toContain('Nothing was sent: no MessageBird API key is configured');
    expect(board.text).not.toContain('was notified');
    expect((await context.messages.forOrder('0000000000000000000000000000000b'))[0]!.state).toBe('not-sent');
  });
});

describeEngines('POST /orders/:orderId/resend', (engine) => {
  it('texts the same status once more, with a new reference, and returns to the order\'s row', async () => {
    const { agent, sender, messages } = await setup(engine);
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);
    await agent.post('/orders/0000000000000000000000000000000a/resend').send(shows('delayed')).expect(303).expect('location', '/#order-0000000000000000000000000000000a');

    expect(sender.sent).toHaveLength(2);
    expect(sender.sent[0]!.reference).toMatch(/^[0-9a-f-]{36}$/);
    expect(sender.sent[0]!.reference).not.toBe(sender.sent[1]!.reference);
    expect((await messages.forOrder('0000000000000000000000000000000a')).map((message) => message.state)).toEqual(['sent', 'sent']);
  });

  it('answers 404 for an unknown order', async () => {
    const { agent } = await setup(engine);
    await agent.post('/orders/ghost/resend').expect(404);
  });

  it('sends nothing again while the list shows a status that was not saved', async () => {
    const { agent, sender } = await setup(engine);
    await agent.post('/orders/0000000000000000000000000000000a/notify').send(shows('delayed')).expect(303);
    const response = await agent.post('/orders/0000000000000000000000000000000a/resend').send({ status: 'confirmed', expectedStatus: 'delayed' }).expect(409);
    expect(response.text).toContain('the list shows confirmed, but the saved status is delayed');
    expect(sender.sent).toHaveLength(1);
  });
});
