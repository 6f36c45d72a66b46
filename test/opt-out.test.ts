import { pino } from 'pino';
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createDispatcher } from '../src/notifications/dispatcher.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { createOptOutRepository } from '../src/notifications/opt-out-repository.ts';
import type { SendOutcome } from '../src/notifications/sms-sender.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { describeEngines, openTestDatabase } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { captureLogs, createTestApp, FakeSmsSender, makeOrder, orderIdFor, seededRandom, testConfig } from './support/helpers.ts';
import { signWebhook } from './support/messagebird-signature.ts';
import { queuedMessage } from './support/queued-message.ts';
import { startServer } from './support/server-process.ts';
import { useTempDatabases } from './support/temp-databases.ts';

const databasePath = useTempDatabases();

const token = 'inbound-token-0123456789abcdefghijklmnop';
const signingKey = 'messagebird-signing-key-for-tests';
const publicUrl = 'https://desk.example';
const inbound = `/webhooks/messagebird/inbound/${token}`;
const hannah = orderIdFor('hannah');
// MessageBird sends the originator in international form without the '+'.
const hannahPhone = '+31612345678';
const hannahOriginator = '31612345678';
const shows = (status: string) => ({ status, expectedStatus: status });

async function setup(engine: TestEngine, overrides: Record<string, string> = {}) {
  const logs = captureLogs();
  const sender = new FakeSmsSender();
  const context = await createTestApp({ engine, sender, logger: logs.logger, config: testConfig({ INBOUND_WEBHOOK_TOKEN: token, ...overrides }) });
  await context.orders.insert(makeOrder({ id: hannah, customerName: 'Hannah Hungry', phone: hannahPhone, status: 'confirmed' }));
  const optOuts = createOptOutRepository(context.database);
  const reply = (payload: string, path = inbound) => supertest(context.app).post(path).type('form').send({ originator: hannahOriginator, payload });
  return { ...context, logs, sender, optOuts, reply, optedOut: async () => (await optOuts.current(hannahPhone)) !== undefined };
}

describeEngines('POST /webhooks/messagebird/inbound/:token', (engine) => {
  it('opts the number out on STOP, form-encoded, and back in on START', async () => {
    const { reply, optedOut, optOuts } = await setup(engine);
    await reply('STOP').expect(200);
    expect(await optedOut()).toBe(true);
    expect(await optOuts.current(hannahPhone)).toMatchObject({ source: 'keyword', keyword: 'STOP', staffUsername: null });

    await reply('START').expect(200);
    expect(await optedOut()).toBe(false);
    expect((await optOuts.history(hannahPhone)).map((event) => [event.optedOut, event.keyword])).toEqual([[false, 'START'], [true, 'STOP']]);
  });

  it('reads the originator as MessageBird sends it, international without "+", whatever DEFAULT_COUNTRY is', async () => {
    const { app, optOuts } = await setup(engine);
    await supertest(app).post(inbound).type('form').send({ originator: '447911123456', payload: 'STOP' }).expect(200);
    await supertest(app).post(inbound).type('form').send({ originator: '+14127267380', payload: 'STOP' }).expect(200);
    expect(await optOuts.current('+447911123456')).toBeDefined();
    expect(await optOuts.current('+14127267380')).toBeDefined();
  });

  it('reads a JSON body, with the originator as a number', async () => {
    const { app, optedOut } = await setup(engine);
    await supertest(app).post(inbound).send({ originator: 31612345678, payload: 'stop', receiver: '3197010260000' }).expect(200);
    expect(await optedOut()).toBe(true);
  });

  it('ignores case and surrounding spaces, and knows every keyword', async () => {
    const { reply, optedOut } = await setup(engine);
    for (const keyword of ['  stop ', 'StopAll', 'unsubscribe\n', 'Cancel', 'end', ' QUIT']) {
      await reply(keyword).expect(200);
      expect(await optedOut(), keyword).toBe(true);
      await reply(keyword.includes('t') ? ' unstop ' : 'Start').expect(200);
      expect(await optedOut(), keyword).toBe(false);
    }
  });

  it('answers 200 to any other text and opts nobody out, so MessageBird does not retry', async () => {
    const { reply, optedOut, logs } = await setup(engine);
    for (const text of ['Where is my pizza?', 'STOP please', 'S T O P', '', '🍕']) await reply(text).expect(200);
    expect(await optedOut()).toBe(false);
    // Kept for the kitchen (see customer-replies.test.ts), all but the empty one.
    expect(logs.lines().filter((line) => line.msg === 'customer replied')).toHaveLength(4);
    expect(logs.lines().filter((line) => line.msg === 'inbound message ignored: empty')).toHaveLength(1);
  });

  it('answers 200 and ignores a keyword from an originator that is not a mobile number', async () => {
    const { app, optOuts } = await setup(engine);
    for (const originator of ['OmNomNom', '12', '+0000000000', '31201234567']) {
      await supertest(app).post(inbound).type('form').send({ originator, payload: 'STOP' }).expect(200);
    }
    expect(await optOuts.history('+31201234567')).toEqual([]);
  });

  it('keeps the token out of the request log', async () => {
    const { reply, logs } = await setup(engine);
    await reply('STOP').expect(200);
    await reply('STOP', `/webhooks/messagebird/inbound/${token}x?${token}`).expect(401);
    expect(logs.text()).toContain('/webhooks/messagebird/inbound/[token]');
    expect(logs.text()).not.toContain(token);
  });

  it('refuses a wrong token with 401 and changes nothing', async () => {
    const { reply, optedOut } = await setup(engine);
    const response = await reply('STOP', `/webhooks/messagebird/inbound/${token.slice(0, -1)}x`);
    expect(response.status).toBe(401);
    await reply('STOP', `/webhooks/messagebird/inbound/${token}extra`).expect(401);
    await reply('STOP', '/webhooks/messagebird/inbound').expect(401);
    expect(await optedOut()).toBe(false);
  });

  it('does not exist without INBOUND_WEBHOOK_TOKEN: 404, whatever the token or signature', async () => {
    const { reply, optedOut, app } = await setup(engine, { INBOUND_WEBHOOK_TOKEN: '', MESSAGEBIRD_SIGNING_KEY: signingKey, PUBLIC_URL: publicUrl });
    await reply('STOP').expect(404);
    const body = `originator=${hannahOriginator}&payload=STOP`;
    const jwt = await signWebhook(`${publicUrl}${inbound}`, signingKey, { payload: body });
    await supertest(app).post(inbound).type('form').set('MessageBird-Signature-JWT', jwt).send(body).expect(404);
    expect(await optedOut()).toBe(false);
  });

  describe('with a MessageBird-Signature-JWT instead of the token', () => {
    const other = '/webhooks/messagebird/inbound/not-the-token';
    const signed = { MESSAGEBIRD_SIGNING_KEY: signingKey, PUBLIC_URL: publicUrl };
    const body = `originator=${hannahOriginator}&payload=STOP`;

    it('accepts a valid signature over the URL and the body', async () => {
      const { app, optedOut } = await setup(engine, signed);
      const jwt = await signWebhook(`${publicUrl}${other}`, signingKey, { payload: body });
      await supertest(app).post(other).type('form').set('MessageBird-Signature-JWT', jwt).send(body).expect(200);
      expect(await optedOut()).toBe(true);
    });

    it('refuses a signature made for another body, another key, or without the body', async () => {
      const { app, optedOut } = await setup(engine, signed);
      const forOtherBody = await signWebhook(`${publicUrl}${other}`, signingKey, { payload: body.replace('STOP', 'START') });
      const withOtherKey = await signWebhook(`${publicUrl}${other}`, 'someone-elses-key', { payload: body });
      const withoutBody = await signWebhook(`${publicUrl}${other}`, signingKey);
      for (const jwt of [forOtherBody, withOtherKey, withoutBody, 'not.a.jwt']) {
        await supertest(app).post(other).type('form').set('MessageBird-Signature-JWT', jwt).send(body).expect(401);
      }
      expect(await optedOut()).toBe(false);
    });

    it('refuses a signature when no signing key is configured', async () => {
      const { app, optedOut } = await setup(engine);
      const jwt = await signWebhook(`${publicUrl}${other}`, signingKey, { payload: body });
      await supertest(app).post(other).type('form').set('MessageBird-Signature-JWT', jwt).send(body).expect(401);
      expect(await optedOut()).toBe(false);
    });
  });

  describe('odd payloads get a clear 4xx and change nothing', () => {
    const cases: Array<[string, (request: supertest.Test) => supertest.Test, number, RegExp]> = [
      ['no originator', (request) => request.type('form').send('payload=STOP'), 400, /originator/],
      ['no payload', (request) => request.type('form').send(`originator=${hannahOriginator}`), 400, /payload/],
      ['two originators', (request) => request.type('form').send(`originator=${hannahOriginator}&originator=31600000000&payload=STOP`), 400, /originator/],
      ['a JSON array', (request) => request.type('json').send(JSON.stringify([{ originator: hannahOriginator, payload: 'STOP' }])), 400, /JSON object/],
      ['a payload that is a list', (request) => request.type('json').send(JSON.stringify({ originator: hannahOriginator, payload: ['STOP'] })), 400, /payload/],
      ['an originator that is an object', (request) => request.type('json').send(JSON.stringify({ originator: { number: hannahOriginator }, payload: 'STOP' })), 400, /originator/],
      ['broken JSON', (request) => request.type('json').send('{"originator": '), 400, /not valid JSON/],
      ['a "__proto__" body', (request) => request.type('json').send('{"__proto__": {"originator": "31612345678", "payload": "STOP"}}'), 400, /originator/],
      ['an unknown content type', (request) => request.type('text/plain').send(`originator=${hannahOriginator}&payload=STOP`), 415, /x-www-form-urlencoded or application\/json/],
      ['a huge body', (request) => request.type('form').send(`originator=${hannahOriginator}&payload=STOP&padding=${'x'.repeat(100_000)}`), 413, /too large/],
    ];
    for (const [name, send, status, text] of cases) {
      it(`answers ${status} to ${name}`, async () => {
        const { app, optedOut } = await setup(engine);
        const response = await send(supertest(app).post(inbound));
        expect([response.status, response.type]).toEqual([status, 'text/plain']);
        expect(response.text).toMatch(text);
        expect(await optedOut()).toBe(false);
      });
    }
  });
});

describeEngines('texts to a customer who opted out', (engine) => {
  it('Notify refuses with 409, says who replied what and when, and queues nothing', async () => {
    const { reply, signIn, sender, messages } = await setup(engine);
    await reply('Stop').expect(200);
    const agent = await signIn();
    const response = await agent.post(`/orders/${hannah}/notify`).send(shows('confirmed')).expect(409);
    expect(response.text).toMatch(/role="alert"[^>]*>\s*<p>Nothing was sent: Hannah Hungry replied STOP at \d\d:\d\d and gets no more texts\.<\/p>/);
    expect(await messages.forOrder(hannah)).toEqual([]);
    expect(sender.sent).toEqual([]);
  });

  it('Send again refuses the same way, after a text went out before the opt-out', async () => {
    const { reply, signIn, sender, messages } = await setup(engine);
    const agent = await signIn();
    await agent.post(`/orders/${hannah}/notify`).send(shows('confirmed')).expect(303);
    expect(sender.sent).toHaveLength(1);
    await reply('STOP').expect(200);

    const response = await agent.post(`/orders/${hannah}/resend`).send(shows('confirmed')).expect(409);
    expect(response.text).toContain('Nothing was sent: Hannah Hungry replied STOP');
    expect(await messages.forOrder(hannah)).toHaveLength(1);
    expect(sender.sent).toHaveLength(1);
  });

  it('queue() itself refuses, whoever calls it', async () => {
    const { messages, optOuts } = await setup(engine);
    await optOuts.optOut(hannahPhone, { source: 'keyword', keyword: 'STOP' });
    const result = await messages.queue({ orderId: hannah, orderStatus: 'confirmed', body: 'Hello', recipient: hannahPhone, reference: 'r1', requestedBy: null }, { resend: true });
    expect(result).toMatchObject({ outcome: 'opted-out', optOut: { phone: hannahPhone, keyword: 'STOP' } });
    expect(await messages.forOrder(hannah)).toEqual([]);
  });

  it('texts the customer again after START', async () => {
    const { reply, signIn, sender } = await setup(engine);
    await reply('STOP').expect(200);
    await reply('start').expect(200);
    const agent = await signIn();
    await agent.post(`/orders/${hannah}/notify`).send(shows('confirmed')).expect(303);
    expect(sender.sent).toHaveLength(1);
  });
});

describeEngines('a text queued before the opt-out', (engine) => {
  const options = { concurrency: 2, maxAttempts: 4, retryBaseMs: 10, retryMaxMs: 20, reportUrl: undefined, pollMs: 20, leaseMs: 30_000, checkGraceMs: 300 };
  const stops: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  async function outbox() {
    const database = await openTestDatabase(engine);
    await createOrderRepository(database).insert(makeOrder({ id: hannah, phone: hannahPhone }));
    const messages = createMessageRepository(database);
    const optOuts = createOptOutRepository(database);
    const sender = new FakeSmsSender();
    const dispatcher = createDispatcher({ messages, sender, logger: pino({ level: 'silent' }) }, { ...options, random: seededRandom(3) });
    stops.push(() => dispatcher.stop(1000));
    const queue = async (reference: string) => queuedMessage(await messages.queue({ orderId: hannah, orderStatus: 'pending', body: 'Hello', recipient: hannahPhone, reference, requestedBy: null }, { resend: true }));
    return { database, messages, optOuts, sender, dispatcher, queue };
  }

  it('is cancelled when the customer opts out, with the reason, and never sent', async () => {
    const { database, messages, optOuts, sender, dispatcher, queue } = await outbox();
    const message = await queue('r1');
    expect(await optOuts.optOut(hannahPhone, { source: 'keyword', keyword: 'STOP' })).toEqual({ changed: true, cancelled: 1 });
    expect(await messages.findById(message.id)).toMatchObject({ state: 'cancelled', errorDescription: 'Not sent: the customer opted out before it went out' });

    // Another customer's order still gets its text.
    await createOrderRepository(database).insert(makeOrder({ id: orderIdFor('other'), phone: '+31687654321' }));
    const other = queuedMessage(await messages.queue({ orderId: orderIdFor('other'), orderStatus: 'pending', body: 'Hi', recipient: '+31687654321', reference: 'r2', requestedBy: null }, { resend: true }));
    const attempted = dispatcher.waitForAttempt(other.id, 2000);
    dispatcher.start();
    await attempted;
    expect(sender.sent.map((sent) => sent.recipient)).toEqual(['+31687654321']);
  });

  it('is never claimed for sending once the number opted out, even before it is cancelled', async () => {
    const { database, messages, queue } = await outbox();
    const message = await queue('r1');
    // As if the opt-out landed between the dispatcher's cancelling and its claiming.
    const eventId = await database.value<number>("INSERT INTO opt_out_events (phone, opted_out, source, keyword, at) VALUES (?, 1, 'keyword', 'STOP', ?) RETURNING id", [hannahPhone, new Date().toISOString()]);
    await database.run('INSERT INTO opted_out_phones (phone, event_id) VALUES (?, ?)', [hannahPhone, eventId]);
    expect(await messages.claimDue(10, { owner: 'this-process', leaseMs: 30_000 })).toEqual([]);
    expect(await messages.cancelOptedOut()).toBe(1);
    expect((await messages.findById(message.id))!.state).toBe('cancelled');
  });

  it('is not sent again when a retry comes due after the opt-out: the dispatcher cancels it', async () => {
    const { messages, optOuts, sender, dispatcher, queue } = await outbox();
    let answer: (outcome: SendOutcome) => void = () => {};
    sender.next = () => new Promise((resolve) => { answer = resolve; });
    const message = await queue('r1');
    dispatcher.start();
    await expect.poll(() => sender.sent.length).toBe(1);

    // The opt-out arrives while MessageBird is slow; it answers "try later".
    await optOuts.optOut(hannahPhone, { source: 'keyword', keyword: 'STOP' });
    sender.next = async () => ({ kind: 'accepted', providerMessageId: 'mb-late' });
    answer({ kind: 'try-later', statusCode: 429, code: undefined, reasons: ['Too many requests'] });

    await expect.poll(async () => (await messages.findById(message.id))!.state, { timeout: 3000, interval: 10 }).toBe('cancelled');
    expect(sender.sent).toHaveLength(1);
  });
});

describeEngines('opting out by hand, from the order page', (engine) => {
  it('any signed-in staff can stop texts to the number and undo it; both are recorded with who', async () => {
    const { signIn, sender, optOuts } = await setup(engine);
    const agent = await signIn('waiter');
    await agent.refreshToken(`/orders/${hannah}`);

    await agent.post(`/orders/${hannah}/opt-out`).expect(303).expect('location', `/orders/${hannah}`);
    const page = (await agent.get(`/orders/${hannah}`).expect(200)).text;
    expect(page).toContain('Hannah Hungry (+31612345678) gets no more texts.');
    expect(page).toMatch(/<strong>Opted out:<\/strong> Hannah Hungry’s number was marked opted out by waiter at \d\d:\d\d\./);
    expect(page).toContain(`action="/orders/${hannah}/opt-in"`);

    const refused = await agent.post(`/orders/${hannah}/notify`).send(shows('confirmed')).expect(409);
    expect(refused.text).toMatch(/Nothing was sent: Hannah Hungry’s number was marked opted out by waiter at \d\d:\d\d and gets no more texts\./);
    expect(sender.sent).toEqual([]);

    await agent.post(`/orders/${hannah}/opt-in`).expect(303);
    expect(await optOuts.current(hannahPhone)).toBeUndefined();
    expect((await optOuts.history(hannahPhone)).map((event) => [event.optedOut, event.source, event.staffUsername])).toEqual([[false, 'staff', 'waiter'], [true, 'staff', 'waiter']]);
    const after = (await agent.get(`/orders/${hannah}`).expect(200)).text;
    expect(after).toContain('can be texted again');
    expect(after).toMatch(/Opted back in<\/td><td>By waiter/);
    await agent.post(`/orders/${hannah}/notify`).send(shows('confirmed')).expect(303);
    expect(sender.sent).toHaveLength(1);
  });

  it('says so when the number was already opted out, and records nothing twice', async () => {
    const { signIn, optOuts } = await setup(engine);
    const agent = await signIn();
    await agent.refreshToken(`/orders/${hannah}`);
    await agent.post(`/orders/${hannah}/opt-out`).expect(303);
    await agent.post(`/orders/${hannah}/opt-out`).expect(303);
    expect((await agent.get(`/orders/${hannah}`)).text).toContain('was already opted out; nothing changed.');
    expect(await optOuts.history(hannahPhone)).toHaveLength(1);
  });

  it('refuses a form without the CSRF token, and a signed-out request', async () => {
    const { signIn, anonymous, optedOut } = await setup(engine);
    const agent = await signIn();
    await agent.agent.post(`/orders/${hannah}/opt-out`).type('form').send({}).expect(403);
    const stranger = anonymous();
    await stranger.refreshToken('/login');
    await stranger.post(`/orders/${hannah}/opt-out`).expect(303).expect('location', /^\/login/);
    expect(await optedOut()).toBe(false);
  });

  it('answers 404 for an unknown order', async () => {
    const { signIn } = await setup(engine);
    const agent = await signIn();
    await agent.post(`/orders/${orderIdFor('nobody')}/opt-out`).expect(404);
  });
});

describeEngines('the board', (engine) => {
  it('says "opted out" on the customer\'s rows, and no more once they opt back in', async () => {
    const { reply, signIn } = await setup(engine);
    const agent = await signIn();
    const row = async () => /<tr id="order-[^"]+"[^]*?<\/tr>/.exec((await agent.get('/').expect(200)).text)![0];
    const plain = await row();
    expect(plain).not.toContain('opted out');
    // By hand, as for a customer who called: a STOP texted would also show as their text in the row.
    await agent.refreshToken(`/orders/${hannah}`);
    await agent.post(`/orders/${hannah}/opt-out`).expect(303);
    const optedOut = await row();
    expect(optedOut).toContain('<em>opted out</em>');
    // No "Text the customer" box: Update cannot promise a text that would be refused.
    const box = /<label><input type="checkbox" name="text"[^>]*>Text the customer<\/label>/.exec(plain)![0];
    expect(optedOut).not.toContain('name="text"');
    // Every byte of a row goes to every tablet on each change (see the board's byte budget).
    expect(Buffer.byteLength(optedOut) - Buffer.byteLength(plain)).toBe(' <em>opted out</em>'.length - box.length);
    await reply('START').expect(200);
    expect(await row()).not.toContain('opted out');
  });
});

describeEngines('open boards', (engine) => {
  it('learn of an opt-out and an opt-in on the customer\'s active orders, not on delivered ones', async () => {
    const { database, orders, optOuts } = await setup(engine);
    const delivered = orderIdFor('delivered');
    await orders.insert(makeOrder({ id: delivered, phone: hannahPhone, status: 'delivered' }));
    const before = await database.value<number>('SELECT max(id) FROM board_events');
    await optOuts.optOut(hannahPhone, { source: 'keyword', keyword: 'STOP' });
    await optOuts.optIn(hannahPhone, { source: 'keyword', keyword: 'START' });
    const events = await database.all<{ order_id: string }>("SELECT order_id FROM board_events WHERE kind = 'order-changed' AND id > ? ORDER BY id", [before]);
    expect(events.map((event) => event.order_id)).toEqual([hannah, hannah]);
  });
});

describeEngines('sender names and +1 numbers', (engine) => {
  it('warns on Notify when a US or Canadian number would get an alphanumeric sender', async () => {
    const { signIn, orders, sender } = await setup(engine, { MESSAGEBIRD_ORIGINATOR: 'OmNomNom' });
    const american = orderIdFor('american');
    await orders.insert(makeOrder({ id: american, phone: '+14127267380', status: 'confirmed' }));
    const agent = await signIn();
    await agent.post(`/orders/${american}/notify`).send(shows('confirmed')).expect(303);
    expect(sender.sent).toHaveLength(1);
    expect((await agent.get('/')).text).toContain('+14127267380 is a US or Canadian number, where a sender name such as “OmNomNom” is not allowed');
  });

  it('does not warn for other numbers, or with a phone number as the sender', async () => {
    const { signIn, orders } = await setup(engine, { MESSAGEBIRD_ORIGINATOR: '+3197010260000' });
    const american = orderIdFor('american');
    await orders.insert(makeOrder({ id: american, phone: '+14127267380', status: 'confirmed' }));
    const agent = await signIn();
    await agent.post(`/orders/${american}/notify`).send(shows('confirmed')).expect(303);
    expect((await agent.get('/')).text).not.toContain('US or Canadian');

    const dutch = await setup(engine, { MESSAGEBIRD_ORIGINATOR: 'OmNomNom' });
    const dutchAgent = await dutch.signIn();
    await dutchAgent.post(`/orders/${hannah}/notify`).send(shows('confirmed')).expect(303);
    expect((await dutchAgent.get('/')).text).not.toContain('US or Canadian');
  });
});

describe('INBOUND_WEBHOOK_TOKEN', () => {
  it.each([
    ['too-short-token', /INBOUND_WEBHOOK_TOKEN: must be at least 32 characters/],
    [`${'a'.repeat(32)}/b`, /INBOUND_WEBHOOK_TOKEN: must be letters, digits/],
  ])('refuses %j, naming the variable', (value, expected) => {
    expect(() => loadConfig({ INBOUND_WEBHOOK_TOKEN: value })).toThrow(expected);
  });

  it('is optional: empty means no inbound address', () => {
    expect(loadConfig({ INBOUND_WEBHOOK_TOKEN: '' }).messagebird.inboundWebhookToken).toBeUndefined();
    expect(loadConfig({ INBOUND_WEBHOOK_TOKEN: token }).messagebird.inboundWebhookToken).toBe(token);
  });
});

describe('start-up', () => {
  const warning = 'MESSAGEBIRD_ORIGINATOR is a sender name, not a number: customers cannot reply to it';

  const logLine = (output: string) => output.split('\n').map((line) => (line.startsWith('{') ? JSON.parse(line) as { level: number; msg: string } : undefined))
    .find((line) => line?.msg.startsWith(warning));

  it('warns when texts go out from a sender name, which cannot receive replies', async () => {
    const server = await startServer({ DATABASE_PATH: databasePath(), MESSAGEBIRD_ORIGINATOR: 'OmNomNom', MESSAGEBIRD_API_KEY: 'test_startupkey' });
    await server.stop();
    expect(logLine(server.output())?.level).toBe(40);
  });

  it('only informs without an API key (a laptop), and says nothing with a two-way number', async () => {
    const laptop = await startServer({ DATABASE_PATH: databasePath(), MESSAGEBIRD_ORIGINATOR: 'OmNomNom' });
    await laptop.stop();
    expect(logLine(laptop.output())?.level).toBe(30);
    const twoWay = await startServer({ DATABASE_PATH: databasePath(), MESSAGEBIRD_ORIGINATOR: '+3197010260000', MESSAGEBIRD_API_KEY: 'test_startupkey' });
    await twoWay.stop();
    expect(logLine(twoWay.output())).toBeUndefined();
  });
});
