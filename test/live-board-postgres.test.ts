import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createLiveBoard } from '../src/board/live-board.ts';
import type { BoardEvent } from '../src/board/live-board.ts';
import type { Database } from '../src/db/database.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { createTestLocation, describePostgres } from './support/engines.ts';
import { EventReader } from './support/event-stream.ts';
import type { StreamEvent } from './support/event-stream.ts';
import { csrfTokenIn, makeOrder, orderIdFor } from './support/helpers.ts';
import { startServer } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const insertOrder = `INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at)
  VALUES ($1, 'Grace Hopper', '+31612345678', '1 x Pizza', 'pending', now()::text, now()::text)`;

/**
 * The backend LISTENing on this schema's channel, once there is one: the hub is ready for
 * notifications. Its last query is the LISTEN, and the channel names the schema, so listeners of
 * other tests (other schemas) running alongside are not confused with it.
 */
async function listenerPid(db: Database, schema: string, not?: number, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = await db.value<number>(`SELECT pid FROM pg_stat_activity WHERE state = 'idle' AND query = @listen AND pid <> @not`,
      { listen: `LISTEN "board_events:${schema}"`, not: not ?? 0 });
    if (pid !== undefined) return pid;
    if (Date.now() > deadline) throw new Error(`nobody listens for board events on ${schema}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every event a hub hands out, and a way to wait for the one about an order. */
function collect(hub: ReturnType<typeof createLiveBoard>) {
  const seen: BoardEvent[] = [];
  const unsubscribe = hub.subscribe((events) => seen.push(...events));
  cleanups.push(unsubscribe);
  const arrival = async (orderId: string, timeoutMs = 1000) => {
    const deadline = Date.now() + timeoutMs;
    while (!seen.some((event) => event.orderId === orderId)) {
      if (Date.now() > deadline) throw new Error(`no event about ${orderId} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  return { seen, arrival };
}

describePostgres('the live hub fed by LISTEN/NOTIFY', (postgres) => {
  // The hubs here would poll only once a minute: whatever arrives within a second came by NOTIFY.
  const noPolling = { pollMs: 60_000 };

  /** A hub on a fresh schema that polls too rarely to matter, and a second pool to write through. */
  async function hubWithWriter() {
    const location = await createTestLocation(postgres);
    const hubDb = await location.open();
    const writer = await location.open();
    const hub = createLiveBoard(hubDb, noPolling);
    cleanups.push(() => hub.close());
    return { location, writer, hub, ...collect(hub) };
  }

  it('hands its subscribers an event that another connection commits', async () => {
    const { location, writer, seen, arrival } = await hubWithWriter();
    await listenerPid(writer, location.schema!);

    await writer.run(insertOrder.replace('$1', '@id'), { id: orderIdFor('from-elsewhere') });
    await arrival(orderIdFor('from-elsewhere'));
    expect(seen.map((event) => event.kind)).toEqual(['order-created']);
  });

  it('catches up on what was committed while its LISTEN connection was down, and listens again', async () => {
    const { location, writer, seen, arrival } = await hubWithWriter();
    const first = await listenerPid(writer, location.schema!);

    expect(await writer.value('SELECT pg_terminate_backend(@pid)', { pid: first })).toBe(true);
    // Committed while nobody listens: its NOTIFY is lost, the reconnect reads it from the table.
    await writer.run(insertOrder.replace('$1', '@id'), { id: orderIdFor('while-down') });
    await arrival(orderIdFor('while-down'), 3000);
    await listenerPid(writer, location.schema!, first);

    await writer.run(insertOrder.replace('$1', '@id'), { id: orderIdFor('after-reconnect') });
    await arrival(orderIdFor('after-reconnect'));
    expect(seen.map((event) => event.orderId)).toEqual([orderIdFor('while-down'), orderIdFor('after-reconnect')]);
  });

  it('does not hand out the events that were there before its first subscriber', async () => {
    const location = await createTestLocation(postgres);
    const hubDb = await location.open();
    const writer = await location.open();
    for (const label of ['earlier-1', 'earlier-2', 'earlier-3']) await writer.run(insertOrder.replace('$1', '@id'), { id: orderIdFor(label) });
    const hub = createLiveBoard(hubDb, noPolling);
    cleanups.push(() => hub.close());
    const { seen, arrival } = collect(hub);
    await listenerPid(writer, location.schema!);

    await writer.run(insertOrder.replace('$1', '@id'), { id: orderIdFor('now') });
    await arrival(orderIdFor('now'));
    expect(seen.map((event) => event.orderId)).toEqual([orderIdFor('now')]);
  });

  it('hands out each event once, also one that commits after a later id', async () => {
    const { location, writer, hub, seen, arrival } = await hubWithWriter();
    await listenerPid(writer, location.schema!);

    // The slow transaction takes the smaller board_events id and commits last.
    const slow = new pg.Client({ connectionString: (location.location as { url: string }).url });
    await slow.connect();
    cleanups.push(() => slow.end());
    await slow.query('BEGIN');
    await slow.query(insertOrder, [orderIdFor('slow')]);
    await writer.run(insertOrder.replace('$1', '@id'), { id: orderIdFor('fast') });
    await arrival(orderIdFor('fast'));
    await slow.query('COMMIT');
    await arrival(orderIdFor('slow'));

    // More reads over the same ids (local writes wake the hub; so do later events): nothing twice.
    for (let round = 0; round < 3; round++) {
      hub.wake();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await writer.run(insertOrder.replace('$1', '@id'), { id: orderIdFor('later') });
    await arrival(orderIdFor('later'));
    const ids = seen.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(seen.map((event) => event.orderId)).toEqual([orderIdFor('fast'), orderIdFor('slow'), orderIdFor('later')]);
    expect(ids[1]).toBeLessThan(ids[0]!);
  });
});

const admin = { username: 'chef', password: 'kitchen-door-blue-42' };
const cookieOf = (response: Response) => response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');

async function signIn(url: string) {
  const login = await fetch(`${url}/login`);
  const form = new URLSearchParams({ _csrf: csrfTokenIn(await login.text()), ...admin });
  const signedIn = await fetch(`${url}/login`, { method: 'POST', body: form, headers: { cookie: cookieOf(login) }, redirect: 'manual' });
  expect(signedIn.status).toBe(303);
  const cookie = cookieOf(signedIn);
  const board = await fetch(`${url}/`, { headers: { cookie } });
  return { cookie, token: csrfTokenIn(await board.text()) };
}

describePostgres('live boards across two server processes on one database', (postgres) => {
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop('SIGKILL')));
  });

  it('shows a status change made through one instance on a board connected to the other within a second', async () => {
    const location = await createTestLocation(postgres);
    const db = await location.open();
    const orderId = orderIdFor('across-instances');
    await createOrderRepository(db).insert(makeOrder({ id: orderId, customerName: 'Ada Lovelace', status: 'pending' }));

    const env = { ...location.env, ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password };
    // One after the other, so the second finds the first's session secret and admin.
    servers.push(await startServer(env));
    servers.push(await startServer(env));
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const onA = await signIn(a.url);
    const onB = await signIn(b.url);

    const controller = new AbortController();
    cleanups.push(() => controller.abort());
    const stream = await fetch(`${b.url}/events`, { headers: { cookie: onB.cookie, accept: 'text/event-stream' }, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader = new EventReader(stream.body!);
    // B listens for the schema's notifications (its hub started with this board).
    await listenerPid(db, location.schema!);

    const sent = performance.now();
    const posted = await fetch(`${a.url}/orders/${orderId}/status`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: onA.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: onA.token, status: 'confirmed', expectedStatus: 'pending' }),
    });
    expect(posted.status).toBe(303);
    const news = await reader.next((event: StreamEvent) => event.event === 'order' && JSON.parse(event.data).id === orderId, 1000);
    const latency = performance.now() - sent;
    console.log(`status change through A reached B's board in ${latency.toFixed(1)} ms`);
    expect(JSON.parse(news.data).html).toContain('Ada Lovelace');
    expect(latency).toBeLessThan(1000);

    // A transaction that took a smaller board_events id and commits after the change above was
    // sent: B's board still gets it.
    const slow = new pg.Client({ connectionString: (location.location as { url: string }).url });
    await slow.connect();
    cleanups.push(() => slow.end());
    await slow.query('BEGIN');
    await slow.query(insertOrder, [orderIdFor('committed-late')]);
    const later = await fetch(`${a.url}/orders/${orderId}/status`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: onA.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: onA.token, status: 'delivered', expectedStatus: 'confirmed' }),
    });
    expect(later.status).toBe(303);
    await reader.next((event: StreamEvent) => event.event === 'order' && JSON.parse(event.data).id === orderId, 1000);
    await slow.query('COMMIT');
    const late = await reader.next((event: StreamEvent) => event.event === 'order' && JSON.parse(event.data).id === orderIdFor('committed-late'), 1000);
    expect(JSON.parse(late.data).html).toContain('Grace Hopper');
  }, 60_000);
});
