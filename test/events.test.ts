import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { createLiveBoard } from '../src/board/live-board.ts';
import { createDispatcher } from '../src/notifications/dispatcher.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { createReplyRepository } from '../src/notifications/reply-repository.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { createStaffRepository } from '../src/staff/staff-repository.ts';
import { csrfTokenIn, FakeSmsSender, makeOrder, orderIdFor, testConfig, testPassword, testPasswords } from './support/helpers.ts';
import { EventReader } from './support/event-stream.ts';
import type { StreamEvent } from './support/event-stream.ts';
import { createTestLocation, describeEngines, openTestDatabase } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { startServer } from './support/server-process.ts';

const orderNews = (orderId: string) => (event: StreamEvent) => event.event === 'order' && JSON.parse(event.data).id === orderId;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real listening app on a fresh database, with a fast hub and heartbeat for tests. */
async function liveApp(engine: TestEngine, options: { heartbeatMs?: number } = {}) {
  const config = testConfig();
  const database = await openTestDatabase(engine);
  const logger = pino({ level: 'silent' });
  const messages = createMessageRepository(database);
  const dispatcher = createDispatcher({ messages, sender: new FakeSmsSender(), logger }, { ...config.outbox, reportUrl: undefined });
  const liveBoard = createLiveBoard(database, { pollMs: 20 });
  const app = await createApp({ config, database, dispatcher, logger, passwords: testPasswords, liveBoard, heartbeatMs: options.heartbeatMs ?? 100 });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    liveBoard.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const staff = createStaffRepository(database);
  await staff.create({ username: 'cook', role: 'staff', passwordHash: await testPasswords.hash(testPassword) });
  return { url, database, liveBoard, orders: createOrderRepository(database), messages };
}

const cookieOf = (response: Response) => response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');

async function signIn(url: string) {
  const login = await fetch(`${url}/login`);
  const form = new URLSearchParams({ _csrf: csrfTokenIn(await login.text()), username: 'cook', password: testPassword });
  const signedIn = await fetch(`${url}/login`, { method: 'POST', body: form, headers: { cookie: cookieOf(login) }, redirect: 'manual' });
  expect(signedIn.status).toBe(303);
  const cookie = cookieOf(signedIn);
  const board = await fetch(`${url}/`, { headers: { cookie } });
  const html = await board.text();
  return { cookie, token: csrfTokenIn(html), liveAfter: /data-live-after="(\d+)"/.exec(html)![1]! };
}

async function openStream(url: string, cookie: string, headers: Record<string, string> = {}, path = '/events') {
  const controller = new AbortController();
  const response = await fetch(`${url}${path}`, { headers: { cookie, accept: 'text/event-stream', ...headers }, signal: controller.signal, redirect: 'manual' });
  cleanups.push(() => controller.abort());
  return { response, reader: response.body ? new EventReader(response.body) : undefined, close: () => controller.abort() };
}

describeEngines('GET /events', (engine) => {
  it('pushes a new order, written straight to the database, as a rendered row within a second', async () => {
    const { url, orders } = await liveApp(engine);
    const { cookie } = await signIn(url);
    const { response, reader } = await openStream(url, cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('content-encoding')).toBeNull();

    const started = Date.now();
    await orders.insert(makeOrder({ id: orderIdFor('new-one'), customerName: 'Ada Lovelace', status: 'pending' }));
    const news = JSON.parse((await reader!.next(orderNews(orderIdFor('new-one')))).data);

    expect(Date.now() - started).toBeLessThan(1000);
    expect(news).toMatchObject({ id: orderIdFor('new-one'), place: 'active', created: true });
    expect(news.html).toMatch(new RegExp(`^<tr id="order-${orderIdFor('new-one')}"`));
    expect(news.html).toContain('Ada Lovelace');
    expect(news.html).toMatch(/name="_csrf" value="[0-9a-f]{32}"/);
    const counts = JSON.parse((await reader!.next((event) => event.event === 'counts')).data);
    expect(counts.html).toMatch(/pending <strong>1<\/strong>/);
  });

  it('pushes a colleague’s status change and a message state, and moves a delivered order to the done rows', async () => {
    const { url, orders, messages } = await liveApp(engine);
    await orders.insert(makeOrder({ id: orderIdFor('o1'), status: 'confirmed' }));
    const { cookie, token } = await signIn(url);
    const { reader } = await openStream(url, cookie);

    const update = await fetch(`${url}/orders/${orderIdFor('o1')}/status`, { method: 'POST', body: new URLSearchParams({ _csrf: token, status: 'delivered', expectedStatus: 'confirmed' }), headers: { cookie }, redirect: 'manual' });
    expect(update.status).toBe(303);
    const delivered = JSON.parse((await reader!.next(orderNews(orderIdFor('o1')))).data);
    expect(delivered).toMatchObject({ place: 'done', created: false });
    expect(delivered.html).toContain('<option selected>delivered');

    await messages.queue({ orderId: orderIdFor('o1'), orderStatus: 'delivered', body: 'Hello', recipient: '+31612345678', reference: 'r1', requestedBy: null }, { resend: false });
    const queued = JSON.parse((await reader!.next(orderNews(orderIdFor('o1')))).data);
    expect(queued.html).toMatch(/message-(queued|sending|sent|not-sent)/);
  });

  it('sends a customer’s text in its order’s row and the counts; one from a number on no order, in the counts alone', async () => {
    const { url, database, orders } = await liveApp(engine);
    await orders.insert(makeOrder({ id: orderIdFor('o1'), customerName: 'Ada Lovelace', phone: '+31611111111', status: 'confirmed' }));
    const { cookie } = await signIn(url);
    const { reader } = await openStream(url, cookie);
    const replies = createReplyRepository(database);

    await replies.receive({ phone: '+31611111111', body: 'Please ring twice' });
    const row = JSON.parse((await reader!.next(orderNews(orderIdFor('o1')))).data);
    expect(row.html).toContain('<q>Please ring twice</q>');
    const counts = JSON.parse((await reader!.next((event) => event.event === 'counts')).data);
    expect(counts.html).toContain('1 unread text from a customer');

    await replies.receive({ phone: '+447911123456', body: 'Are you open on Sunday?' });
    // The event's id alone (so a reconnect does not replay it), then the counts; no row.
    const bare = await reader!.next((event) => event.event !== ':');
    expect(bare).toMatchObject({ event: 'message', data: '' });
    expect(Number(bare.id)).toBeGreaterThan(0);
    const after = await reader!.next((event) => event.event !== ':');
    expect(after.event).toBe('counts');
    expect(JSON.parse(after.data).html).toContain('2 unread texts from customers');
    expect(JSON.parse(after.data).html).toContain('data-text="Are you open on Sunday?"');
  });

  it('tells the board to drop an order delivered longer ago than DONE_VISIBLE_MINUTES', async () => {
    const { url, database, orders } = await liveApp(engine);
    await orders.insert(makeOrder({ id: orderIdFor('old'), status: 'delivered' }));
    const { cookie } = await signIn(url);
    const { reader } = await openStream(url, cookie);
    await database.run('UPDATE orders SET updated_at = ? WHERE id = ?', [new Date(Date.now() - 11 * 60_000).toISOString(), orderIdFor('old')]);
    expect(JSON.parse((await reader!.next(orderNews(orderIdFor('old')))).data)).toMatchObject({ place: 'gone', html: '' });
  });

  it('replays what a board missed from its Last-Event-ID, and from the page’s own event id on the first connect', async () => {
    const { url, orders } = await liveApp(engine);
    const { cookie, liveAfter } = await signIn(url);
    // Changes between the page load and the stream's start are not lost.
    await orders.insert(makeOrder({ id: orderIdFor('before-connect'), status: 'pending' }));
    const first = await openStream(url, cookie, {}, `/events?after=${liveAfter}`);
    const replayed = await first.reader!.next(orderNews(orderIdFor('before-connect')));
    first.close();

    await orders.insert(makeOrder({ id: orderIdFor('while-away-1'), status: 'pending' }));
    await orders.updateStatus(orderIdFor('before-connect'), 'confirmed', null);
    await orders.insert(makeOrder({ id: orderIdFor('while-away-2'), status: 'delayed' }));

    const again = await openStream(url, cookie, { 'last-event-id': replayed.id! });
    const ids: string[] = [];
    while (ids.length < 3) ids.push(JSON.parse((await again.reader!.next((event) => event.event === 'order')).data).id);
    expect(ids).toEqual(['while-away-1', 'before-connect', 'while-away-2'].map(orderIdFor));
  });

  it('asks the board to reload when the events it missed were pruned', async () => {
    const { url, database, orders } = await liveApp(engine);
    const { cookie } = await signIn(url);
    await orders.insert(makeOrder({ status: 'pending' }));
    await orders.insert(makeOrder({ status: 'pending' }));
    await database.run('DELETE FROM board_events WHERE id < (SELECT max(id) FROM board_events)');
    const { reader } = await openStream(url, cookie, { 'last-event-id': '1' });
    await reader!.next((event) => event.event === 'reload');
  });

  it('sends a heartbeat, and does not extend the session’s idle timeout', async () => {
    const { url, database } = await liveApp(engine, { heartbeatMs: 50 });
    const { cookie } = await signIn(url);
    // The session was last used a while ago: it expires in five minutes.
    const expiresAt = Date.now() + 5 * 60_000;
    await database.run(database.pick({
      sqlite: "UPDATE sessions SET expires_at = ?, data = json_set(data, '$.cookie.expires', ?)",
      postgres: "UPDATE sessions SET expires_at = ?, data = jsonb_set(data::jsonb, '{cookie,expires}', to_jsonb(?::text))::text",
    }), [expiresAt, new Date(expiresAt).toISOString()]);

    const { response, reader, close } = await openStream(url, cookie);
    await reader!.next((event) => event.event === ':');
    await reader!.next((event) => event.event === ':');
    close();
    await reader!.end();

    const setCookie = response.headers.getSetCookie().join('\n');
    const cookieExpiry = /Expires=([^;]+)/.exec(setCookie)?.[1];
    if (cookieExpiry) expect(Date.parse(cookieExpiry)).toBeLessThanOrEqual(expiresAt);
    await expect.poll(async () => Number(await database.value('SELECT expires_at FROM sessions'))).toBe(expiresAt);
    // A real page view does extend it. Read to the end: the session's new expiry is stored before the
    // last byte of the page is sent, not before its headers (what fetch resolves on).
    await (await fetch(`${url}/`, { headers: { cookie } })).text();
    expect(Number(await database.value('SELECT expires_at FROM sessions'))).toBeGreaterThan(expiresAt);
  });

  it('ends the stream with session-ended when the session ends, e.g. by the idle timeout', async () => {
    const { url, database } = await liveApp(engine, { heartbeatMs: 50 });
    const { cookie } = await signIn(url);
    const { reader } = await openStream(url, cookie);
    await reader!.next((event) => event.event === ':');

    await database.run('UPDATE sessions SET expires_at = ?', [Date.now() - 1]);

    await reader!.next((event) => event.event === 'session-ended');
    await reader!.end();
  });

  it('ends the stream when the staff member signs out in another tab', async () => {
    const { url } = await liveApp(engine, { heartbeatMs: 50 });
    const { cookie, token } = await signIn(url);
    const { reader } = await openStream(url, cookie);
    await fetch(`${url}/logout`, { method: 'POST', body: new URLSearchParams({ _csrf: token }), headers: { cookie }, redirect: 'manual' });
    await reader!.next((event) => event.event === 'session-ended');
    await reader!.end();
  });

  it('sends a visitor without a session to the login page, not a stream', async () => {
    const { url } = await liveApp(engine);
    const { response } = await openStream(url, '');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login?next=%2Fevents');
  });

  it('ends every stream when the hub closes, as at shutdown', async () => {
    const { url, liveBoard } = await liveApp(engine);
    const { cookie } = await signIn(url);
    const streams = await Promise.all([openStream(url, cookie), openStream(url, cookie)]);
    await Promise.all(streams.map(({ reader }) => reader!.next((event) => event.event === ':')));
    liveBoard.close();
    await Promise.all(streams.map(({ reader }) => reader!.end()));
  });
});

describeEngines('live updates across two processes', (engine) => {
  it('reaches a board on a real server from an order another process writes, and the server stops promptly with the stream open', async () => {
    const location = await createTestLocation(engine);
    const server = await startServer({ ...location.env, ADMIN_USERNAME: 'chef', ADMIN_PASSWORD: 'kitchen-door-blue-42' });
    cleanups.push(async () => { await server.stop('SIGKILL'); });
    const login = await fetch(`${server.url}/login`);
    const form = new URLSearchParams({ _csrf: csrfTokenIn(await login.text()), username: 'chef', password: 'kitchen-door-blue-42' });
    const signedIn = await fetch(`${server.url}/login`, { method: 'POST', body: form, headers: { cookie: cookieOf(login) }, redirect: 'manual' });
    const { reader } = await openStream(server.url, cookieOf(signedIn));

    // Another process: this test's own connection to the same database.
    const other = await location.open();
    await other.run(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at)
      VALUES (?, 'Grace Hopper', '+31612345678', '1 x Pizza', 'pending', ?, ?)`, [orderIdFor('from-the-shop'), new Date().toISOString(), new Date().toISOString()]);
    await other.close();
    expect(JSON.parse((await reader!.next(orderNews(orderIdFor('from-the-shop')), 10_000)).data).html).toContain('Grace Hopper');

    const stopping = Date.now();
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(5000);
    await reader!.end();
  });
});

describeEngines('board_events', (engine) => {
  it('records what boards show and nothing else: no event for message bookkeeping', async () => {
    const database = await openTestDatabase(engine);
    const orders = createOrderRepository(database);
    const messages = createMessageRepository(database);
    const events = () => database.all('SELECT kind, order_id AS "orderId" FROM board_events ORDER BY id');
    const id = orderIdFor('o1');
    await orders.insert(makeOrder({ id, status: 'pending' }));
    await orders.updateStatus(id, 'confirmed', null);
    await messages.queue({ orderId: id, orderStatus: 'confirmed', body: 'Hello', recipient: '+31612345678', reference: 'r1', requestedBy: null }, { resend: false });
    const before = (await events()).length;
    await database.run("UPDATE messages SET next_attempt_at = ?, updated_at = ? WHERE reference = 'r1'", [new Date().toISOString(), new Date().toISOString()]);
    expect(await events()).toHaveLength(before);
    const claim = { owner: 'this-process', leaseMs: 30_000 };
    expect(await messages.claimDue(10, claim)).toHaveLength(1);
    expect(await messages.renewLeases(claim)).toBe(1);
    expect(await events()).toEqual([
      { kind: 'order-created', orderId: id },
      { kind: 'order-changed', orderId: id },
      { kind: 'order-changed', orderId: id },
      { kind: 'order-changed', orderId: id },
      { kind: 'message-changed', orderId: id },
      { kind: 'message-changed', orderId: id },
    ]);
  });
});

describeEngines('GET /events with the shared rows', (engine) => {
  it('sends each stream the row with its own session’s CSRF token, never another’s', async () => {
    const { url, orders } = await liveApp(engine);
    const first = await signIn(url);
    const second = await signIn(url);
    expect(first.token).not.toBe(second.token);
    const firstStream = await openStream(url, first.cookie);
    const secondStream = await openStream(url, second.cookie);

    await orders.insert(makeOrder({ id: orderIdFor('shared-row') }));
    const firstRow = JSON.parse((await firstStream.reader!.next(orderNews(orderIdFor('shared-row')))).data).html as string;
    const secondRow = JSON.parse((await secondStream.reader!.next(orderNews(orderIdFor('shared-row')))).data).html as string;
    expect(firstRow).toContain(`name="_csrf" value="${first.token}"`);
    expect(secondRow).toContain(`name="_csrf" value="${second.token}"`);
    expect(firstRow).not.toContain(second.token);
    expect(secondRow).not.toContain(first.token);
  });
});
