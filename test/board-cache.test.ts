import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import supertest from 'supertest';
import { createLiveBoard } from '../src/board/live-board.ts';
import { openSqlite } from '../src/db/sqlite.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { createTestLocation, describeEngines } from './support/engines.ts';
import { createTestApp, csrfTokenIn, makeOrder, orderIdFor, testConfig, testPassword } from './support/helpers.ts';
import { queuedMessage } from './support/queued-message.ts';

// The board renders its rows once per board version and minute and shares them between requests
// (createBoardView). These prove the shared rows are never stale and never carry a session's token.

const run = promisify(execFile);

function rowOf(html: string, id: string): string {
  const match = new RegExp(`<tr id="order-${id}"[\\s\\S]*?</tr>`).exec(html);
  if (!match) throw new Error(`no row for ${id}`);
  return match[0];
}

const tokensIn = (html: string) => [...html.matchAll(/name="_csrf" value="([^"]+)"/g)].map((match) => match[1]!);

afterEach(() => {
  vi.useRealTimers();
});

describeEngines('the board’s shared rows', (engine) => {
  it('show a status change on the very next request', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const id = orderIdFor('cached-status');
    await orders.insert(makeOrder({ id, status: 'pending' }));
    const agent = await signIn();
    expect(rowOf((await agent.get('/').expect(200)).text, id)).toContain('<b class="pending">pending</b>');

    await agent.post(`/orders/${id}/status`).send({ status: 'confirmed', expectedStatus: 'pending' }).expect(303);
    expect(rowOf((await agent.get('/').expect(200)).text, id)).toContain('<b class="confirmed">confirmed</b>');
  });

  it('show a message’s new state on the very next request, however it was written', async () => {
    const { database: db, orders, messages, signIn } = await createTestApp({ engine });
    const id = orderIdFor('cached-message');
    await orders.insert(makeOrder({ id, status: 'confirmed' }));
    const queued = queuedMessage(await messages.queue({ orderId: id, orderStatus: 'confirmed', body: 'Hello', recipient: '+31612345678', reference: 'cached-message', requestedBy: null }, { resend: false }));
    const agent = await signIn();
    await agent.get('/').expect(200);

    await db.run("UPDATE messages SET state = 'failed', error_description = 'No balance' WHERE id = ?", [queued.id]);
    expect(rowOf((await agent.get('/').expect(200)).text, id)).toContain('No balance');
  });

  it('show an order another process added or changed on this process’s next board', async () => {
    const location = await createTestLocation(engine);
    const path = 'url' in location.location ? location.location.url : location.location.path;
    const { orders, signIn } = await createTestApp({ engine, config: testConfig(location.env) });
    const own = orderIdFor('this-process');
    await orders.insert(makeOrder({ id: own, customerName: 'Ada Lovelace' }));
    const agent = await signIn();
    expect((await agent.get('/').expect(200)).text).toContain('Ada Lovelace');

    // Inserts its own order (pending) and changes it to confirmed, in its own process.
    await run(process.execPath, ['test/support/concurrent-writer.ts', path, 'other-process', '1']);
    const otherId = createHash('md5').update('other-process').digest('hex');
    const page = (await agent.get('/').expect(200)).text;
    expect(rowOf(page, otherId)).toContain('<b class="confirmed">confirmed</b>');
    expect(page).toContain('Ada Lovelace');
  }, 30_000);

  it('give each session its own CSRF token in every row, never another session’s', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    for (const label of ['token-a', 'token-b', 'token-c']) await orders.insert(makeOrder({ id: orderIdFor(label) }));
    const first = await signIn('first-cook');
    const second = await signIn('second-cook');

    const firstTokens = tokensIn((await first.get('/').expect(200)).text);
    const secondTokens = tokensIn((await second.get('/').expect(200)).text);
    // The header's sign-out form and one form per row.
    expect(firstTokens.length).toBeGreaterThanOrEqual(4);
    expect(new Set(firstTokens)).toEqual(new Set([first.token]));
    expect(new Set(secondTokens)).toEqual(new Set([second.token]));
    expect(first.token).not.toBe(second.token);
    // Each token works for its own session only.
    await second.post(`/orders/${orderIdFor('token-a')}/status`).send({ status: 'confirmed', expectedStatus: 'pending' }).expect(303);
  });

  it('show the age of the next minute once the minute has passed, with no write in between', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-23T12:00:30Z'));
    const { database: db, orders, signIn } = await createTestApp({ engine });
    const id = orderIdFor('ageing');
    await orders.insert(makeOrder({ id }));
    await db.run('UPDATE orders SET created_at = ? WHERE id = ?', ['2026-11-23T11:55:00.000Z', id]);
    const agent = await signIn();
    expect(rowOf((await agent.get('/').expect(200)).text, id)).toContain('5 min');

    vi.setSystemTime(new Date('2026-11-23T12:01:05Z'));
    expect(rowOf((await agent.get('/').expect(200)).text, id)).toContain('6 min');
  });
});

describeEngines('the board page kept per session', (engine) => {
  it('answers a session’s repeated views with the same page until the board changes', async () => {
    // The middle of a minute, held there: a page is kept per minute too (rows show their age).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-23T12:00:30Z'));
    const { app, orders, signIn } = await createTestApp({ engine });
    const id = orderIdFor('kept-page');
    await orders.insert(makeOrder({ id, status: 'pending' }));
    const agent = await signIn();
    const first = (await agent.get('/').expect(200)).text;
    const renders = vi.spyOn(app, 'render');
    expect((await agent.get('/').expect(200)).text).toBe(first);
    expect(renders).not.toHaveBeenCalled();

    await orders.insert(makeOrder({ id: orderIdFor('kept-page-new') }));
    const next = (await agent.get('/').expect(200)).text;
    expect(next).not.toBe(first);
    expect(next).toContain(`order-${orderIdFor('kept-page-new')}`);
  });

  it('shows a flash left for the board, even when nothing on the board changed since the page was kept', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const id = orderIdFor('kept-flash');
    await orders.insert(makeOrder({ id, status: 'confirmed' }));
    const agent = await signIn();
    await agent.get('/').expect(200);
    await agent.get('/').expect(200);

    await agent.post(`/orders/${id}/status`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);
    const withFlash = (await agent.get('/').expect(200)).text;
    expect(withFlash).toContain('was already confirmed; nothing changed');
    // Shown once: the next view is the plain board again.
    expect((await agent.get('/').expect(200)).text).not.toContain('was already confirmed');
  });

  it('shows each account its own name and, after a role change, its new menu', async () => {
    const { database: db, signIn } = await createTestApp({ engine });
    const cook = await signIn('kept-cook');
    const chef = await signIn('kept-chef', 'admin');
    expect((await cook.get('/').expect(200)).text).toContain('Signed in as </span><strong>kept-cook</strong>');
    expect((await chef.get('/').expect(200)).text).toContain('Signed in as </span><strong>kept-chef</strong>');
    expect((await cook.get('/').expect(200)).text).not.toContain('href="/staff"');

    await db.run("UPDATE staff SET role = 'admin' WHERE username = 'kept-cook'");
    expect((await cook.get('/').expect(200)).text).toContain('href="/staff"');
  });
});

describe('views', () => {
  it('are compiled once in every environment, tests included', async () => {
    const { app } = await createTestApp();
    expect(app.enabled('view cache')).toBe(true);
  });
});

describe('compression', () => {
  /** Raw bytes as sent, which supertest would decompress. */
  function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      request(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
  }

  it('sends the board brotli-compressed at the fastest quality when the browser accepts it, gzip level 1 otherwise, searched boards and other pages alike', async () => {
    const { app, orders, addAccount } = await createTestApp();
    for (let index = 0; index < 20; index += 1) await orders.insert(makeOrder());
    await addAccount('cook');
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const agent = supertest.agent(url);
      const login = await agent.get('/login');
      await agent.post('/login').type('form').send({ _csrf: csrfTokenIn(login.text), username: 'cook', password: testPassword }).expect(303);
      const cookie = ((await agent.get('/').expect(200)).request as unknown as { cookies: string }).cookies;

      const brotli = await rawGet(`${url}/`, { cookie, 'accept-encoding': 'br' });
      expect(brotli.headers['content-encoding']).toBe('br');
      const page = brotliDecompressSync(brotli.body);
      expect(page.toString()).toContain('<table class="orders"');
      expect(brotli.body.length).toBe(brotliCompressSync(page, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }).length);

      const gzip = await rawGet(`${url}/`, { cookie, 'accept-encoding': 'gzip' });
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gzip.body.length).toBe(gzipSync(gunzipSync(gzip.body), { level: 1 }).length);

      // A browser that likes both alike gets brotli; every encoding carries the very same page.
      const either = await rawGet(`${url}/`, { cookie, 'accept-encoding': 'gzip, deflate, br' });
      expect(either.headers['content-encoding']).toBe('br');
      expect(either.headers.vary).toContain('Accept-Encoding');
      const plain = await rawGet(`${url}/`, { cookie });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(gunzipSync(gzip.body).toString()).toBe(plain.body.toString());
      expect(brotliDecompressSync(either.body).toString()).toBe(plain.body.toString());

      // Boards rendered afresh (a search, a refused search) are compressed by the board itself, as
      // the middleware is not wrapped around the board; every other page still goes through it.
      const searched = await rawGet(`${url}/?q=a`, { cookie, 'accept-encoding': 'gzip' });
      expect(searched.headers['content-encoding']).toBe('gzip');
      expect(searched.headers.vary).toContain('Accept-Encoding');
      expect(gunzipSync(searched.body).toString()).toContain('<table class="orders"');
      const refused = await rawGet(`${url}/?q=${'a'.repeat(101)}`, { cookie, 'accept-encoding': 'br' });
      expect(refused.status).toBe(400);
      expect(brotliDecompressSync(refused.body).toString()).toContain('Search for at most 100 characters');
      const done = await rawGet(`${url}/done`, { cookie, 'accept-encoding': 'gzip' });
      expect(done.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(done.body).toString()).toContain('Done');
    } finally {
      server.close();
    }
  });
});

describe('the live hub', () => {
  it('hands a change to the connected boards within 50 ms of its write', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const database = openSqlite(':memory:');
    const live = createLiveBoard(database);
    const seen: string[] = [];
    const unsubscribe = live.subscribe((events) => seen.push(...events.map((event) => event.orderId)));
    const id = orderIdFor('live-hub');
    await createOrderRepository(database).insert(makeOrder({ id }));

    // Only 50 ms pass on the hub's clock; the look it takes then reads the database before handing on.
    await vi.advanceTimersByTimeAsync(50);
    await vi.waitFor(() => expect(seen).toContain(id));
    unsubscribe();
    live.close();
  });

  it('hands a change made in this process on at once when woken, without waiting for its next look', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const database = openSqlite(':memory:');
    const live = createLiveBoard(database);
    const seen: string[] = [];
    const unsubscribe = live.subscribe((events) => seen.push(...events.map((event) => event.orderId)));
    const id = orderIdFor('live-wake');
    await createOrderRepository(database).insert(makeOrder({ id }));

    live.wake();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toContain(id);
    unsubscribe();
    live.close();
  });
});
