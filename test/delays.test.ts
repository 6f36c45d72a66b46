import { describe, expect, it } from 'vitest';
import { expectedAfterDelay } from '../src/orders/delays.ts';
import type { TestEngine } from './support/engines.ts';
import { describeEngines } from './support/engines.ts';
import { createTestApp, FakeSmsSender, makeOrder, testConfig } from './support/helpers.ts';

const mike = '0000000000000000000000000000000a';
const status = `/orders/${mike}/status`;
// A zone with a 45-minute offset: a time shown in the server's zone or in UTC cannot pass for it.
const timeZone = 'Asia/Kathmandu';
// The zone's wall clock, with the day when it is not today ("tomorrow 00:23"), as every page and
// text shows a time: an expected time past the zone's midnight says so.
const wallClock = (at: string | number) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(at));
const dayIn = (at: string | number) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(at));
const clock = (at: string | number) => (dayIn(at) === dayIn(Date.now()) ? wallClock(at) : `tomorrow ${wallClock(at)}`);
const minute = 60_000;

async function setup(engine: TestEngine, orderStatus: 'pending' | 'confirmed' | 'delayed' = 'confirmed') {
  const sender = new FakeSmsSender();
  const context = await createTestApp({ engine, sender, config: testConfig({ TIME_ZONE: timeZone, LATE_AFTER_MINUTES: '30' }) });
  await context.orders.insert(makeOrder({ id: mike, customerName: 'Mike Madeater', phone: '+319876543211', status: orderStatus }));
  return { ...context, sender, agent: await context.signIn() };
}

const rowOf = (html: string) => new RegExp(`<tr id="order-${mike}"[^]*?</tr>`).exec(html)![0];

describeEngines('a delay with an estimate', (engine) => {
  it.each([
    ['+10', { quickDelay: '10' }, 10],
    ['+20', { quickDelay: '20' }, 20],
    ['+30', { quickDelay: '30' }, 30],
    ['a custom 45 minutes', { delayMinutes: '45' }, 45],
    ['a quick pick over typed minutes (the button pressed wins)', { delayMinutes: '45', quickDelay: '10' }, 10],
  ])('records %s and the new expected time: the time the order would count as late, plus the delay', async (_name, fields, minutes) => {
    const { agent, orders } = await setup(engine);
    const createdAt = Date.parse((await orders.findById(mike))!.createdAt);

    await agent.post(status).send({ status: 'delayed', expectedStatus: 'confirmed', ...fields }).expect(303);

    const order = (await orders.findById(mike))!;
    expect(order.status).toBe('delayed');
    expect(order.delayMinutes).toBe(minutes);
    expect(order.expectedAt).toBe(new Date(createdAt + (30 + minutes) * minute).toISOString());
  });

  it('counts from now when the order is already past its expected time', async () => {
    const { agent, orders, database } = await setup(engine);
    await database.run('UPDATE orders SET created_at = ? WHERE id = ?', [new Date(Date.now() - 90 * minute).toISOString(), mike]);
    const before = Date.now();

    await agent.post(status).send({ status: 'delayed', expectedStatus: 'confirmed', quickDelay: '20' }).expect(303);

    const expected = Date.parse((await orders.findById(mike))!.expectedAt!);
    expect(expected).toBeGreaterThanOrEqual(before + 20 * minute);
    expect(expected).toBeLessThanOrEqual(Date.now() + 20 * minute);
  });

  it('counts a second delay from the time the first one gave', async () => {
    const { agent, orders } = await setup(engine);
    await agent.post(status).send({ status: 'delayed', expectedStatus: 'confirmed', quickDelay: '20' }).expect(303);
    const first = Date.parse((await orders.findById(mike))!.expectedAt!);
    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'delayed' }).expect(303);

    await agent.post(status).send({ status: 'delayed', expectedStatus: 'confirmed', delayMinutes: '10' }).expect(303);

    expect((await orders.findById(mike))!).toMatchObject({ delayMinutes: 10, expectedAt: new Date(first + 10 * minute).toISOString() });
  });

  it.each([
    ['0 minutes', { delayMinutes: '0' }],
    ['181 minutes', { delayMinutes: '181' }],
    ['no minutes', {}],
    ['empty minutes', { delayMinutes: '' }],
    ['words', { delayMinutes: 'soon' }],
    ['a fraction', { delayMinutes: '12.5' }],
    ['a number written as an exponent', { delayMinutes: '1e1' }],
    ['a hexadecimal number', { delayMinutes: '0x14' }],
    ['two values for one field', { delayMinutes: ['10', '20'] }],
    ['a quick pick out of range', { quickDelay: '999' }],
  ])('answers 400 for %s, changes nothing and keeps what was picked and typed', async (_name, fields) => {
    const { agent, orders, messages } = await setup(engine);

    const response = await agent.post(status).send({ status: 'delayed', expectedStatus: 'confirmed', text: 'on', ...fields }).expect(400);

    expect(response.text).toContain('Status of Mike Madeater&#39;s order not changed: Say how late it runs: +10, +20, +30 or 1–180 minutes.');
    expect((await orders.findById(mike))!).toMatchObject({ status: 'confirmed', delayMinutes: null, expectedAt: null });
    expect(await orders.history(mike)).toHaveLength(1);
    expect(await messages.forOrder(mike)).toHaveLength(0);
    // The row comes back as it was left: delayed picked, the minutes as typed, the box ticked, and
    // the delay field with its quick picks, so a board without its script can finish the job.
    const row = rowOf(response.text);
    expect(row).toContain('<option selected>delayed');
    expect(row).toContain('<input type="checkbox" name="text" checked>');
    expect(row).toContain('<button name="quickDelay" value="20">+20 min</button>');
    const typed = (fields as { delayMinutes?: unknown }).delayMinutes;
    if (typeof typed === 'string' && typed) expect(row).toContain(`name="delayMinutes" type="number" min="1" max="180" inputmode="numeric" aria-label="Or minutes late (1–180)" placeholder="min" value="${typed}"`);
  });

  it('ignores minutes sent with another status', async () => {
    const { agent, orders } = await setup(engine, 'pending');
    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'pending', delayMinutes: '20' }).expect(303);
    expect((await orders.findById(mike))!).toMatchObject({ status: 'confirmed', delayMinutes: null, expectedAt: null });
  });

  it('shows the expected time on the board and the order page in the kitchen\'s time zone, and texts it', async () => {
    const { agent, orders, sender } = await setup(engine);

    await agent.post(status).send({ status: 'delayed', expectedStatus: 'confirmed', quickDelay: '20', text: 'on' }).expect(303);

    const expectedAt = (await orders.findById(mike))!.expectedAt!;
    const board = (await agent.get('/').expect(200)).text;
    expect(board).toContain(`Mike Madeater&#39;s order is now delayed (20 minutes late, expected around ${clock(expectedAt)}) and Mike Madeater was texted.`);
    expect(rowOf(board)).toContain(`<b class="delayed">delayed</b><br>expected ${clock(expectedAt)}</td>`);
    expect((await agent.get(`/orders/${mike}`).expect(200)).text).toContain(`around <time datetime="${expectedAt}">${clock(expectedAt)}</time> (last delay: 20 minutes)`);
    expect(sender.sent.map((message) => message.body)).toEqual([
      `Hello, Mike Madeater, sometimes good things take time! Unfortunately your order is running about 20 minutes late; we now expect to deliver it around ${clock(expectedAt)}.`,
    ]);
  });

  it('says "1 minute" for a delay of one minute', async () => {
    const { agent, sender } = await setup(engine);
    await agent.post(status).send({ status: 'delayed', expectedStatus: 'confirmed', delayMinutes: '1', text: 'on' }).expect(303);
    expect(sender.sent[0]!.body).toContain('running about 1 minute late;');
  });

  it('keeps the expected time on the order page until delivery, but on the board only while delayed', async () => {
    const { agent, orders } = await setup(engine);
    await agent.post(status).send({ status: 'delayed', expectedStatus: 'confirmed', quickDelay: '20' }).expect(303);
    const expectedAt = (await orders.findById(mike))!.expectedAt!;

    await agent.post(status).send({ status: 'confirmed', expectedStatus: 'delayed' }).expect(303);
    expect(rowOf((await agent.get('/').expect(200)).text)).not.toContain('<br>expected');
    expect((await agent.get(`/orders/${mike}`).expect(200)).text).toContain(`<dt>Expected</dt><dd>around <time datetime="${expectedAt}">`);

    await agent.post(status).send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(303);
    expect((await agent.get(`/orders/${mike}`).expect(200)).text).not.toContain('<dt>Expected</dt>');
  });

  it('texts the guide\'s delay sentence for a delayed order that has no estimate', async () => {
    const { agent, sender } = await setup(engine, 'delayed');
    await agent.post(`/orders/${mike}/notify`).send({ status: 'delayed', expectedStatus: 'delayed' }).expect(303);
    expect(sender.sent[0]!.body).toBe('Hello, Mike Madeater, sometimes good things take time! Unfortunately your order is slightly delayed but will be delivered as soon as possible.');
  });

  it('shows the delay field only in a row whose list shows delayed before it is saved', async () => {
    const { agent, orders } = await setup(engine);
    await orders.insert(makeOrder({ id: '0000000000000000000000000000000b', status: 'delayed' }));
    const board = (await agent.get('/').expect(200)).text;
    expect(rowOf(board)).not.toContain('quickDelay');
    expect(new RegExp('<tr id="order-0000000000000000000000000000000b"[^]*?</tr>').exec(board)![0]).not.toContain('quickDelay');
    // The board script copies it from here when delayed is picked.
    expect(board).toMatch(/<template id="delay-field"><span class="delay"[^]*?<\/template>/);
  });
});

describe('expectedAfterDelay', () => {
  const createdAt = '2026-11-23T18:00:00.000Z';
  it.each([
    ['before any delay, from the time the order counts as late', null, '2026-11-23T18:10:00.000Z', '2026-11-23T18:50:00.000Z'],
    ['from now, when that time has passed', null, '2026-11-23T18:45:00.000Z', '2026-11-23T19:05:00.000Z'],
    ['from the time the last delay gave', '2026-11-23T19:00:00.000Z', '2026-11-23T18:45:00.000Z', '2026-11-23T19:20:00.000Z'],
    ['from now, when the last delay\'s time has passed', '2026-11-23T19:00:00.000Z', '2026-11-23T19:30:00.000Z', '2026-11-23T19:50:00.000Z'],
  ])('counts %s', (_name, expectedAt, now, result) => {
    expect(expectedAfterDelay({ expectedAt, createdAt, scheduledFor: null }, 20, new Date(now), 30).toISOString()).toBe(result);
  });

  it('counts the first delay of an order for later from the time asked for', () => {
    const order = { expectedAt: null, createdAt, scheduledFor: '2026-11-23T20:00:00.000Z' };
    expect(expectedAfterDelay(order, 20, new Date('2026-11-23T19:55:00.000Z'), 30).toISOString()).toBe('2026-11-23T20:20:00.000Z');
  });
});
