import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { csvCell } from '../src/web/csv.ts';
import type { OrderRepository } from '../src/orders/order-repository.ts';
import { addDays, createZonedCalendar } from '../src/web/zoned-days.ts';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { captureLogs, createTestApp, csrfTokenIn, makeOrder, orderIdFor, testConfig, testPassword } from './support/helpers.ts';
import { seedMessages } from './support/seed-messages.ts';

const amsterdam = (engine: TestEngine) => createTestApp({ engine, config: testConfig({ TIME_ZONE: 'Europe/Amsterdam' }) });
const header = 'Requested (Europe/Amsterdam),Sent (Europe/Amsterdam),Delivered (Europe/Amsterdam),Order id,Order number,Customer,Recipient,Order status,Kind,Message state,Attempts,Error code,Error,Text\r\n';

async function seedDay(context: { orders: OrderRepository; database: Database }) {
  const ada = orderIdFor('ada');
  const evil = orderIdFor('evil');
  await context.orders.insert(makeOrder({ id: ada, customerName: 'Ada de Vries' }));
  await context.orders.insert(makeOrder({ id: evil, customerName: '=HYPERLINK("http://evil.invalid","click")' }));
  await seedMessages(context.database, [
    {
      orderId: ada, state: 'delivered', requestedAt: '2026-11-20T10:00:00.000Z', lastAttemptAt: '2026-11-20T10:00:01.000Z',
      providerStatusAt: '2026-11-20T10:00:10+00:00', body: 'Hello Ada, your order is "on its way", enjoy!\nOmNomNom',
    },
    {
      orderId: evil, state: 'failed', requestedAt: '2026-11-20T18:00:00.000Z', lastAttemptAt: '2026-11-20T18:00:02.000Z', attempts: 3,
      errorCode: 21, errorDescription: 'Bad request\nphone number has unknown format', body: '-10% off next time', recipient: '+4412',
    },
    // 23:59:59.999 on the 19th and 00:30 on the 21st in Amsterdam: the neighbouring days.
    { orderId: ada, state: 'sent', requestedAt: '2026-11-19T22:59:59.999Z', body: 'the 19th' },
    { orderId: ada, state: 'queued', requestedAt: '2026-11-20T23:30:00.000Z', body: 'the 21st' },
  ]);
  return { ada, evil };
}

describeEngines('GET /messages/log.csv', (engine) => {
  it('writes a day of the log as RFC 4180 CSV, times on the kitchen\'s clock, formulas defused', async () => {
    const context = await amsterdam(engine);
    const { ada, evil } = await seedDay(context);
    const cook = await context.signIn();

    const response = await cook.get('/messages/log.csv?from=2026-11-20&to=2026-11-20').expect(200);

    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(response.headers['content-disposition']).toBe('attachment; filename=messages-2026-11-20-to-2026-11-20.csv');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.text).toBe(`\uFEFF${header}`
      + `2026-11-20 11:00:00,2026-11-20 11:00:01,2026-11-20 11:00:10,${ada},1,Ada de Vries,'+31612345678,confirmed,status text,delivered,1,,,"Hello Ada, your order is ""on its way"", enjoy!\nOmNomNom"\r\n`
      + `2026-11-20 19:00:00,2026-11-20 19:00:02,,${evil},2,"'=HYPERLINK(""http://evil.invalid"",""click"")",'+4412,confirmed,status text,failed,3,21,"Bad request\nphone number has unknown format",'-10% off next time\r\n`);
  });

  it('takes every message of the days from the first to the last, both included, and nothing around them', async () => {
    const context = await amsterdam(engine);
    await seedDay(context);
    const cook = await context.signIn();
    const texts = (csv: string) => csv.split('\r\n').slice(1, -1).map((line) => line.split(',').at(-1));

    expect(texts((await cook.get('/messages/log.csv?from=2026-11-19&to=2026-11-19').expect(200)).text)).toEqual(['the 19th']);
    const twoDays = (await cook.get('/messages/log.csv?from=2026-11-20&to=2026-11-21').expect(200)).text;
    expect(texts(twoDays).at(-1)).toBe('the 21st');
    expect(twoDays).not.toContain('the 19th');
    expect((await cook.get('/messages/log.csv?from=2026-11-22&to=2026-11-30').expect(200)).text).toBe(`\uFEFF${header}`);
  });

  it('covers the last 14 days up to today when no dates are given', async () => {
    const context = await amsterdam(engine);
    const ada = orderIdFor('ada');
    await context.orders.insert(makeOrder({ id: ada, customerName: 'Ada de Vries' }));
    const now = Date.now();
    await seedMessages(context.database, [
      { orderId: ada, state: 'sent', requestedAt: new Date(now - 60_000).toISOString(), body: 'a minute ago' },
      { orderId: ada, state: 'sent', requestedAt: new Date(now - 15 * 86_400_000).toISOString(), body: 'fifteen days ago' },
    ]);
    const cook = await context.signIn();
    const today = createZonedCalendar('Europe/Amsterdam').dayOf(new Date(now));

    const response = await cook.get('/messages/log.csv').expect(200);

    expect(response.headers['content-disposition']).toBe(`attachment; filename=messages-${addDays(today, -13)}-to-${today}.csv`);
    expect(response.text).toContain('a minute ago');
    expect(response.text).not.toContain('fifteen days ago');
  });

  it('answers 400 with a clear message for missing or impossible dates, a reversed or too long range, keeping what was typed', async () => {
    const context = await amsterdam(engine);
    const cook = await context.signIn();
    const cases: Array<[string, string]> = [
      ['from=2026-11-20', 'Choose both a first and a last day.'],
      ['from=2026-13-01&to=2026-12-01', 'The first day is not a date: write it as year-month-day, e.g. 2026-11-23.'],
      ['from=2026-02-01&to=2026-02-30', 'The last day is not a date: write it as year-month-day, e.g. 2026-11-23.'],
      ['from=2026-11-21&to=2026-11-20', 'The first day is after the last day.'],
      ['from=2025-11-19&to=2026-11-20', 'Export at most 366 days at a time.'],
      ['from=2026-11-01&from=2026-11-02&to=2026-11-20', 'Choose both a first and a last day.'],
    ];
    for (const [query, message] of cases) {
      const response = await cook.get(`/messages/log.csv?${query}`).expect(400);
      expect(response.headers['content-type'], query).toMatch(/^text\/html/);
      expect(response.headers['content-disposition'], query).toBeUndefined();
      expect(response.text, query).toContain(message);
    }
    const kept = await cook.get('/messages/log.csv?from=2026-11-21&to=2026-11-20').expect(400);
    expect(kept.text).toContain('name="from" required value="2026-11-21"');
    expect(kept.text).toContain('name="to" required value="2026-11-20"');
    // 366 days, both ends counted, is allowed.
    await cook.get('/messages/log.csv?from=2025-11-21&to=2026-11-21').expect(200);
  });

  it('streams a large export page by page: rows written meanwhile still arrive, and writes are not blocked', async () => {
    const context = await amsterdam(engine);
    const ada = orderIdFor('ada');
    await context.orders.insert(makeOrder({ id: ada, customerName: 'Ada de Vries' }));
    await context.addAccount('cook');
    // 6,000 messages of about 5 kB: some 30 MB in 12 pages, far more than the sockets' buffers hold.
    const rows = 6_000;
    const start = Date.parse('2026-11-20T06:00:00.000Z');
    await seedMessages(context.database, Array.from({ length: rows }, (_, index) => ({
      orderId: ada, state: 'delivered' as const, requestedAt: new Date(start + index * 1000).toISOString(), body: `${index} ${'x'.repeat(5000)}`,
    })));
    const server = context.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const cookie = await signInOverHttp(port);

      const result = await new Promise<{ headers: Record<string, unknown>; text: string }>((resolve, reject) => {
        const call = request({ host: '127.0.0.1', port, path: '/messages/log.csv?from=2026-11-20&to=2026-11-20', headers: { cookie } }, async (response) => {
          // The first bytes are here: a message asked for now, the latest of the day, must still
          // make the export, and writing it must not meet a connection held by the export.
          await seedMessages(context.database, [{ orderId: ada, state: 'queued', requestedAt: '2026-11-20T22:59:59.000Z', body: 'written during the export' }]);
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        });
        call.on('error', reject);
        call.end();
      });

      expect(result.headers['transfer-encoding']).toBe('chunked');
      expect(result.headers['content-length']).toBeUndefined();
      const lines = result.text.split('\r\n');
      expect(lines).toHaveLength(rows + 3);
      expect(lines.at(-2)).toMatch(/,written during the export$/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describeEngines('GET /messages/log.csv, cancelled half-way', (engine) => {
  it('stops quietly when the client goes away: no error logged, the app answers on', async () => {
    const logs = captureLogs();
    const context = await createTestApp({ engine, config: testConfig({ TIME_ZONE: 'Europe/Amsterdam' }), logger: logs.logger });
    const ada = orderIdFor('ada');
    await context.orders.insert(makeOrder({ id: ada, customerName: 'Ada de Vries' }));
    await context.addAccount('cook');
    const start = Date.parse('2026-11-20T06:00:00.000Z');
    await seedMessages(context.database, Array.from({ length: 6_000 }, (_, index) => ({
      orderId: ada, state: 'delivered' as const, requestedAt: new Date(start + index * 1000).toISOString(), body: 'x'.repeat(5000),
    })));
    const server = context.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const cookie = await signInOverHttp(port);
      const served = new Promise<void>((resolve) => server.once('request', (_req, res) => res.once('close', resolve)));

      await new Promise<void>((resolve, reject) => {
        const call = request({ host: '127.0.0.1', port, path: '/messages/log.csv?from=2026-11-20&to=2026-11-20', headers: { cookie } }, (response) => {
          response.once('data', () => {
            call.destroy();
            resolve();
          });
        });
        call.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve() : reject(error)));
        call.end();
      });
      await served;
      // Let the handler's rejected pipeline settle: a few turns of the event loop, no timer.
      for (let turn = 0; turn < 5; turn += 1) await new Promise(setImmediate);

      expect(logs.lines().filter((line) => (line.level as number) >= 50)).toEqual([]);
      const after = await fetch(`http://127.0.0.1:${port}/messages?until=2026-11-20`, { headers: { cookie } });
      expect(after.status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['=1+1', "'=1+1"],
    ['+31612345678', "'+31612345678"],
    ['-5', "'-5"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tindent', "'\tindent"],
    ['=a,"b"', '"\'=a,""b"""'],
    ['', ''],
  ])('writes %j as %j', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('writes numbers as they are and null as an empty cell', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
  });
});

/** Signs in with a plain HTTP client and returns the session cookie. */
async function signInOverHttp(port: number): Promise<string> {
  const base = `http://127.0.0.1:${port}`;
  const form = await fetch(`${base}/login`);
  const cookie = form.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  const body = new URLSearchParams({ _csrf: csrfTokenIn(await form.text()), username: 'cook', password: testPassword });
  const signedIn = await fetch(`${base}/login`, { method: 'POST', body, headers: { cookie }, redirect: 'manual' });
  expect(signedIn.status).toBe(303);
  return signedIn.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ') || cookie;
}
