import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogOnlySender } from '../src/notifications/log-only-sender.ts';
import { SmsSendError } from '../src/notifications/sms-sender.ts';
import { createTestApp, FakeSmsSender, makeOrder } from './helpers.ts';

async function setup() {
  const sender = new FakeSmsSender();
  const context = createTestApp({ sender });
  context.orders.insert(makeOrder({ id: 'mike', customerName: 'Mike Madeater', phone: '+319876543211', status: 'delayed' }));
  return { ...context, sender, agent: await context.signIn() };
}

describe('POST /orders/:orderId/notify', () => {
  it('texts the customer the message for the current status and says so', async () => {
    const { agent, sender } = await setup();

    await agent.post('/orders/mike/notify').expect(303).expect('location', '/');

    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0]).toMatchObject({
      recipient: '+319876543211',
      body: 'Hello, Mike Madeater, sometimes good things take time! Unfortunately your order is slightly delayed but will be delivered as soon as possible.',
    });
    const board = await agent.get('/');
    expect(board.text).toMatch(/role="status"[^>]*>\s*<p>Mike Madeater was notified that their order is delayed<\/p>/);
  });

  it('gives every message its own reference', async () => {
    const { agent, sender } = await setup();
    await agent.post('/orders/mike/notify').expect(303);
    await agent.post('/orders/mike/notify').expect(303);
    expect(sender.sent[0]!.reference).toMatch(/^[0-9a-f-]{36}$/);
    expect(sender.sent[0]!.reference).not.toBe(sender.sent[1]!.reference);
  });

  it('shows each provider error description when MessageBird refuses the message', async () => {
    const { agent, sender, orders } = await setup();
    sender.next = async () => {
      throw new SmsSendError('rejected', 'refused', {
        statusCode: 422,
        providerErrors: [
          { code: 9, description: 'no (correct) recipients found', parameter: 'recipients' },
          { code: 25, description: 'Not enough balance', parameter: undefined },
        ],
      });
    };

    await agent.post('/orders/mike/notify').expect(303);

    const board = await agent.get('/');
    expect(board.text).toContain('role="alert"');
    expect(board.text).toContain('Could not send notification');
    expect(board.text).toContain('<li>no (correct) recipients found</li>');
    expect(board.text).toContain('<li>Not enough balance</li>');
    expect(orders.findById('mike')!.status).toBe('delayed');
  });

  it('explains a network error in plain words and keeps the status', async () => {
    const { agent, sender, orders } = await setup();
    sender.next = async () => { throw new SmsSendError('network', 'MessageBird refused the connection'); };

    await agent.post('/orders/mike/notify').expect(303);

    const board = await agent.get('/');
    expect(board.text).toContain('Could not send notification');
    expect(board.text).toContain('MessageBird refused the connection');
    expect(orders.findById('mike')!.status).toBe('delayed');
  });

  it('explains a timeout', async () => {
    const { agent, sender } = await setup();
    sender.next = async () => { throw new SmsSendError('timeout', 'MessageBird did not answer within 5 seconds'); };
    await agent.post('/orders/mike/notify').expect(303);
    const board = await agent.get('/');
    expect(board.text).toContain('MessageBird did not answer within 5 seconds');
  });

  it('answers a 404 page for an unknown order and sends nothing', async () => {
    const { agent, sender } = await setup();
    await agent.post('/orders/ghost/notify').expect(404);
    expect(sender.sent).toHaveLength(0);
  });

  it('says plainly that nothing was sent when no API key is configured', async () => {
    const context = createTestApp({ sender: createLogOnlySender(pino({ level: 'silent' })) });
    context.orders.insert(makeOrder({ id: 'hannah', customerName: 'Hannah Hungry', status: 'pending' }));
    const agent = await context.signIn();

    await agent.post('/orders/hannah/notify').expect(303);

    const board = await agent.get('/');
    expect(board.text).toContain('Nothing was sent: no MessageBird API key is configured');
    expect(board.text).not.toContain('was notified');
  });

  it('lets an unexpected error through to the 500 page', async () => {
    const { agent, sender } = await setup();
    sender.next = async () => { throw new Error('bug'); };
    await agent.post('/orders/mike/notify').expect(500);
  });
});
