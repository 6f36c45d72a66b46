import { createHash } from 'node:crypto';
import supertest from 'supertest';
import { expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { createTemplateRepository } from '../src/notifications/template-repository.ts';
import { orderDigest } from '../src/orders/order-repository.ts';
import { createTimeFormatter } from '../src/web/format.ts';
import { createZonedCalendar } from '../src/web/zoned-days.ts';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, FakeSmsSender, makeOrder, orderIdFor, testConfig } from './support/helpers.ts';
import { noonZone } from './support/noon-zone.ts';

// Around noon on the kitchen's clock: a few hours ahead is still today, whenever this runs.
const { timeZone } = noonZone();
const calendar = createZonedCalendar(timeZone);
const formatTime = createTimeFormatter(timeZone);
const hours = (count: number) => new Date(Date.now() + count * 3_600_000);
/** A time as the form's datetime-local field sends it, on the kitchen's clock, and the instant it names. */
const typed = (at: Date) => calendar.localInput(at);
const stored = (at: Date) => calendar.instantOf(typed(at))!.toISOString();

const form = { customerName: 'Ada Lovelace', phone: '06 12345678', items: '1 x Margherita', note: '' };

async function setup(engine: TestEngine) {
  const sender = new FakeSmsSender();
  const test = await createTestApp({ engine, sender, config: testConfig({ TIME_ZONE: timeZone, PUBLIC_URL: 'https://orders.example.com/', MESSAGEBIRD_SIGNING_KEY: 'signing-key-for-tests-0123456789' }) });
  const agent = await test.signIn();
  await agent.refreshToken('/orders/new');
  const { key } = (await createApiKeyRepository(test.database).create({ name: 'webshop', createdBy: null }))!;
  const api = supertest(test.app);
  const shop = {
    create: (body: object) => api.post('/api/orders').set('Authorization', `Bearer ${key}`).send(body),
    correct: (id: string, body: object) => api.patch(`/api/orders/${id}`).set('Authorization', `Bearer ${key}`).send(body),
  };
  return { ...test, sender, agent, shop };
}

/** The board's active rows, top to bottom, as their customers' names. */
function queue(html: string): string[] {
  const active = /<tbody id="active-orders">([\s\S]*?)<\/tbody>/.exec(html)![1]!;
  return [...active.matchAll(/<th scope="row">[\s\S]*?<a href="\/orders\/[0-9a-f]+">([^<]+)<\/a>/g)].map((match) => match[1]!);
}

const rowOf = (html: string, id: string) => new RegExp(`<tr id="order-${id}"[\\s\\S]*?</tr>`).exec(html)![0];

describeEngines('orders for later', (engine) => {
  it('are typed in on the kitchen’s clock, and wait on the board below the orders due before them, showing their time', async () => {
    const { agent, orders } = await setup(engine);
    const later = hours(3);

    await agent.post('/orders/new').send({ ...form, customerName: 'First Now' }).expect(303);
    await agent.post('/orders/new').send({ ...form, customerName: 'For Later', scheduledFor: typed(later) }).expect(303);
    await agent.post('/orders/new').send({ ...form, customerName: 'Second Now' }).expect(303);

    const forLater = (await orders.list()).find((order) => order.customerName === 'For Later')!;
    expect((await agent.get('/').expect(200)).text).toContain(`Order #3 for Second Now added.`);
    expect(forLater.scheduledFor).toBe(stored(later));
    const board = (await agent.get('/').expect(200)).text;
    expect(queue(board)).toEqual(['First Now', 'Second Now', 'For Later']);
    const row = rowOf(board, forLater.id);
    expect(row).toContain(`data-scheduled-for="${forLater.scheduledFor}"`);
    expect(row).toContain(`<td class="age"><em class="due-time">for ${formatTime(forLater.scheduledFor!)}</em></td>`);
    expect(row).not.toContain('late');
    const page = (await agent.get(`/orders/${forLater.id}`).expect(200)).text;
    expect(page).toContain(`<dt>For</dt><dd><time datetime="${forLater.scheduledFor}">${formatTime(forLater.scheduledFor!)}</time>`);
  });

  it('for a later day wait off today’s queue: the counts link to them, and a search still finds them', async () => {
    const { agent, orders } = await setup(engine);
    const tomorrow = hours(30);
    await agent.post('/orders/new').send({ ...form, customerName: 'Today Now' }).expect(303);
    await agent.post('/orders/new').send({ ...form, customerName: 'Another Day', scheduledFor: typed(tomorrow), note: 'birthday' }).expect(303);
    const other = (await orders.list()).find((order) => order.customerName === 'Another Day')!;

    const board = (await agent.get('/').expect(200)).text;
    expect(board).toContain(`Order #1 for Another Day added. It is for ${formatTime(other.scheduledFor!)}, on the Later page until its day.`);
    expect(queue(board)).toEqual(['Today Now']);
    expect(board).toContain('<a class="badge badge-later" href="/later">1 order for a later day</a>');
    expect(board).toMatch(/pending <strong>1<\/strong>/);

    const later = (await agent.get('/later').expect(200)).text;
    expect(later).toContain(`<time datetime="${other.scheduledFor}">${formatTime(other.scheduledFor!)}</time>`);
    expect(later).toContain(`<a href="/orders/${other.id}">Another Day</a>`);
    expect(later).toContain('birthday');

    const found = (await agent.get('/').query({ q: 'Another' }).expect(200)).text;
    expect(queue(found)).toEqual(['Another Day']);
  });

  it.each([
    ['a time that has passed', () => typed(hours(-1)), 'That time has already passed'],
    ['a time more than 14 days ahead', () => typed(hours(15 * 24)), 'at most 14 days ahead'],
    ['no real day', () => '2026-02-30T19:30', 'Give the day and the time'],
    ['a time without its day', () => '19:30', 'Give the day and the time'],
  ])('are refused for %s, with the message by the field, what was typed kept, and no order added', async (_case, value, message) => {
    const { agent, orders } = await setup(engine);
    const sent = value();

    const page = (await agent.post('/orders/new').send({ ...form, scheduledFor: sent }).expect(400)).text;

    expect(page).toMatch(new RegExp(`<input id="scheduledFor"[^>]*value="${sent}"[^>]*aria-invalid="true" aria-describedby="scheduledFor-error">`));
    expect(page).toContain(`<small id="scheduledFor-error">`);
    expect(page).toContain(message);
    expect(page).toContain('value="Ada Lovelace"');
    expect(await orders.count()).toBe(0);
  });

  it('say "start now" from LATE_AFTER_MINUTES before their time, and are marked late once it has passed, not by how long ago they came in', async () => {
    const { agent, orders, database } = await setup(engine);
    const waiting = orderIdFor('waiting');
    const soon = orderIdFor('soon');
    const overdue = orderIdFor('overdue');
    await orders.insert(makeOrder({ id: waiting, customerName: 'Waiting', scheduledFor: hours(1).toISOString() }));
    // 20 minutes ahead: within the 30 an order for now takes.
    await orders.insert(makeOrder({ id: soon, customerName: 'Soon', scheduledFor: hours(1 / 3).toISOString() }));
    await orders.insert(makeOrder({ id: overdue, customerName: 'Overdue', scheduledFor: hours(-0.1).toISOString() }));
    // Both came in two hours ago: an order for as soon as possible would be late by now.
    await database.run('UPDATE orders SET created_at = ?', [hours(-2).toISOString()]);

    const board = (await agent.get('/').expect(200)).text;

    expect(rowOf(board, waiting)).not.toContain('late');
    expect(rowOf(board, waiting)).not.toContain('start');
    expect(rowOf(board, soon)).toContain('class="start-now"');
    expect(rowOf(board, soon)).toContain('<strong class="start">start now</strong>');
    expect(rowOf(board, soon)).not.toContain('late');
    expect(rowOf(board, overdue)).toContain('class="late"');
    expect(rowOf(board, overdue)).toContain('<strong>late</strong>');
    expect(queue(board)).toEqual(['Overdue', 'Soon', 'Waiting']);
  });

  it('have their time corrected by staff, recorded on the order’s page; a time the order already had may have passed', async () => {
    const { agent, orders, database } = await setup(engine);
    await agent.post('/orders/new').send(form).expect(303);
    const [order] = await orders.list();
    const later = hours(2);

    const edit = (await agent.get(`/orders/${order!.id}/edit`).expect(200)).text;
    const version = /name="version" value="([^"]+)"/.exec(edit)![1]!;
    await agent.post(`/orders/${order!.id}/edit`).send({ ...form, version, scheduledFor: typed(later) }).expect(303);

    const corrected = (await orders.findById(order!.id))!;
    expect(corrected.scheduledFor).toBe(stored(later));
    expect((await orders.edits(order!.id))[0]!.changes).toEqual([{ field: 'scheduledFor', before: null, after: stored(later) }]);
    const page = (await agent.get(`/orders/${order!.id}`).expect(200)).text;
    expect(page).toContain(`Scheduled time: <del><span class="visually-hidden">was </span>as soon as possible</del> → <ins><span class="visually-hidden">now </span>${formatTime(stored(later))}</ins>`);

    // The time passes while the order waits: the form still saves a new note with it.
    const passed = hours(-0.5).toISOString();
    await database.run('UPDATE orders SET scheduled_for = ? WHERE id = ?', [passed, order!.id]);
    const again = (await agent.get(`/orders/${order!.id}/edit`).expect(200)).text;
    const sameTime = /id="scheduledFor"[^>]*value="([^"]*)"/.exec(again)![1]!;
    const nextVersion = /name="version" value="([^"]+)"/.exec(again)![1]!;
    await agent.post(`/orders/${order!.id}/edit`).send({ ...form, note: 'ring twice', version: nextVersion, scheduledFor: sameTime }).expect(303);
    expect(await orders.findById(order!.id)).toMatchObject({ note: 'ring twice', scheduledFor: passed });
  });

  it('come in through the API with a time and its offset, stored as UTC; a retry is the same order, another time a conflict', async () => {
    const { shop, agent } = await setup(engine);
    const later = new Date(Math.ceil(hours(5).getTime() / 60_000) * 60_000);
    const body = { externalId: 'shop-9', customer: { name: 'Ada Lovelace', phone: '+31611111111' }, items: ['1 x Margherita'], scheduledFor: later.toISOString() };

    const created = await shop.create({ ...body, scheduledFor: later.toISOString().replace('.000Z', 'Z') }).expect(201);
    expect(created.body.scheduledFor).toBe(later.toISOString());
    await shop.create(body).expect(200);
    await shop.create({ ...body, scheduledFor: new Date(later.getTime() + 3_600_000).toISOString() }).expect(409);
    const board = (await agent.get('/').expect(200)).text;
    expect(rowOf(board, created.body.id)).toContain(`for ${formatTime(later)}`);
  });

  it('answer a shop’s retry with the order it took, even once the time asked for has passed', async () => {
    const { shop, database } = await setup(engine);
    const passed = hours(-0.5).toISOString();
    const body = { externalId: 'shop-13', customer: { name: 'Ada Lovelace', phone: '+31611111111' }, items: ['1 x Margherita'], scheduledFor: passed };
    const created = await shop.create({ ...body, scheduledFor: hours(1).toISOString() }).expect(201);
    // As if the order had been taken for `passed` while it was still ahead.
    const fields = { customerName: 'Ada Lovelace', phone: '+31611111111', deliveryAddress: null, items: '1 x Margherita', note: null, scheduledFor: passed };
    await database.run('UPDATE orders SET scheduled_for = ?, intake_digest = ? WHERE id = ?', [passed, orderDigest(fields), created.body.id]);

    const retried = await shop.create(body).expect(200);

    expect(retried.body).toMatchObject({ id: created.body.id, scheduledFor: passed });
  });

  it('are numbered among the orders of the day they are due, not the day they came in', async () => {
    const { shop, orders } = await setup(engine);
    const order = (externalId: string, scheduledFor?: string) => shop.create({ externalId, customer: { name: 'Ada Lovelace', phone: '+31611111111' }, items: ['1 x Margherita'], scheduledFor }).expect(201);

    await order('today-1');
    await order('today-2');
    // 30 hours ahead is another day on any clock.
    const later = await order('another-day', hours(30).toISOString());
    await order('today-3');

    expect(later.body.number).toBe(1);
    expect((await orders.list()).map((each) => [each.externalId, each.number])).toEqual([['today-1', 1], ['today-2', 2], ['another-day', 1], ['today-3', 3]]);
  });

  it('take a number of their new day when their time moves to another day, and of today when wanted as soon as possible again', async () => {
    const { shop } = await setup(engine);
    const order = (externalId: string, scheduledFor?: string) => shop.create({ externalId, customer: { name: 'Ada Lovelace', phone: '+31611111111' }, items: ['1 x Margherita'], scheduledFor }).expect(201);
    await order('today-1');
    await order('today-2');
    const preOrder = await order('another-day', hours(30).toISOString());
    expect(preOrder.body.number).toBe(1);

    const today = await shop.correct(preOrder.body.id, { scheduledFor: hours(2).toISOString() }).expect(200);
    expect(today.body.number).toBe(3);
    // Moved within the day: the number stays.
    expect((await shop.correct(preOrder.body.id, { scheduledFor: hours(3).toISOString() }).expect(200)).body.number).toBe(3);
    const backAgain = await shop.correct(preOrder.body.id, { scheduledFor: hours(30).toISOString() }).expect(200);
    expect(backAgain.body.number).toBe(1);
    // Today's next number: #3 is free again since the order left today.
    const now = await shop.correct(preOrder.body.id, { scheduledFor: null }).expect(200);
    expect(now.body.number).toBe(3);
  });

  it('read a time with an offset as the instant it names', async () => {
    const { shop } = await setup(engine);
    const at = new Date(Math.ceil(hours(5).getTime() / 60_000) * 60_000);
    // The same instant written on a clock two hours ahead of UTC.
    const ahead = new Date(at.getTime() + 2 * 3_600_000).toISOString().replace('.000Z', '+02:00');

    const created = await shop.create({ externalId: 'shop-10', customer: { name: 'Ada Lovelace', phone: '+31611111111' }, items: ['1 x Margherita'], scheduledFor: ahead }).expect(201);

    expect(created.body.scheduledFor).toBe(at.toISOString());
  });

  it.each([
    ['a time that has passed', () => hours(-1).toISOString(), 'That time has already passed'],
    ['a time more than 14 days ahead', () => hours(15 * 24).toISOString(), 'at most 14 days ahead'],
    ['a time without its offset', () => '2026-12-24T19:30:00', 'A time with its offset (RFC 3339)'],
    ['no time', () => 'tonight', 'A time with its offset (RFC 3339)'],
  ])('are refused through the API for %s, with a pointer to the field (422)', async (_case, value, message) => {
    const { shop, orders } = await setup(engine);

    const refused = await shop.create({ externalId: 'shop-11', customer: { name: 'Ada Lovelace', phone: '+31611111111' }, items: ['1 x Margherita'], scheduledFor: value() }).expect(422);

    expect(refused.body.errors).toEqual([{ pointer: '#/scheduledFor', detail: expect.stringContaining(message) }]);
    expect(await orders.count()).toBe(0);
  });

  it('have their time set, moved and cleared by the shop (PATCH), each recorded; the same passed time sent again changes nothing', async () => {
    const { shop, orders, database } = await setup(engine);
    const created = await shop.create({ externalId: 'shop-12', customer: { name: 'Ada Lovelace', phone: '+31611111111' }, items: ['1 x Margherita'] }).expect(201);
    const { id } = created.body as { id: string };
    const later = hours(4);

    const set = await shop.correct(id, { scheduledFor: later.toISOString(), version: created.body.version }).expect(200);
    expect(set.body.scheduledFor).toBe(later.toISOString());
    expect(set.body.version).not.toBe(created.body.version);
    await shop.correct(id, { scheduledFor: hours(-1).toISOString() }).expect(422);
    const cleared = await shop.correct(id, { scheduledFor: null }).expect(200);
    expect(cleared.body.scheduledFor).toBeNull();
    expect((await orders.edits(id)).map((edit) => edit.changes)).toEqual([
      [{ field: 'scheduledFor', before: null, after: later.toISOString() }],
      [{ field: 'scheduledFor', before: later.toISOString(), after: null }],
    ]);

    const passed = hours(-1).toISOString();
    await database.run('UPDATE orders SET scheduled_for = ? WHERE id = ?', [passed, id]);
    await shop.correct(id, { scheduledFor: passed }).expect(200);
    expect(await orders.edits(id)).toHaveLength(2);
  });

  it('tell the customer the time asked for: on the tracking page and as {eta} in a text', async () => {
    const { agent, sender, database, orders, app } = await setup(engine);
    const later = hours(3);
    await agent.post('/orders/new').send({ ...form, scheduledFor: typed(later) }).expect(303);
    const [order] = await orders.list();
    await createTemplateRepository(database).save({ status: 'confirmed', body: 'We start on your order for {eta}: {trackingLink}', savedBy: null });
    await agent.refreshToken('/');

    await agent.post(`/orders/${order!.id}/status`).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);

    const [text] = sender.sent;
    const time = formatTime(stored(later));
    expect(text!.body).toMatch(new RegExp(`^We start on your order for ${time}: https://orders\\.example\\.com/t/[A-Za-z0-9_-]{12}$`));
    const tracking = (await supertest(app).get(new URL(text!.body.split(': ')[1]!).pathname).expect(200)).text;
    expect(tracking).toContain(`Ordered for <strong><time datetime="${stored(later)}">${time}</time></strong>`);
  });
});

it('keeps the version of an order for as soon as possible what it was before orders could be scheduled', () => {
  // Intake digests stored before then compare a shop's retry with the order it sent.
  const fields = { customerName: 'Ada Lovelace', phone: '+31611111111', deliveryAddress: 'Kerkstraat 12', items: '1 x Margherita', note: null };
  const before = createHash('sha256').update(JSON.stringify(['Ada Lovelace', '+31611111111', 'Kerkstraat 12', '1 x Margherita', null])).digest('base64url').slice(0, 22);

  expect(orderDigest({ ...fields, scheduledFor: null })).toBe(before);
  expect(orderDigest({ ...fields, scheduledFor: hours(1).toISOString() })).not.toBe(before);
});
