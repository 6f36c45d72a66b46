import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import type { SqliteDatabase } from '../src/db/sqlite.ts';
import { chartScale } from '../src/notifications/message-chart.ts';
import { createMessageStatsRepository } from '../src/notifications/message-stats-repository.ts';
import { formatDuration } from '../src/notifications/messages-router.ts';
import type { OrderRepository } from '../src/orders/order-repository.ts';
import { addDays, createZonedCalendar } from '../src/web/zoned-days.ts';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, makeOrder, orderIdFor, testConfig } from './support/helpers.ts';
import { recordingDatabase } from './support/recording-database.ts';
import { seedMessages } from './support/seed-messages.ts';

const amsterdamConfig = () => testConfig({ TIME_ZONE: 'Europe/Amsterdam' });
const amsterdam = (engine: TestEngine) => createTestApp({ engine, config: amsterdamConfig() });
const failedReason = 'Bad request (phone number has unknown format)';

/**
 * A known fortnight, 7–20 Nov 2026 in Amsterdam (UTC+1): messages on both sides of the kitchen's
 * midnights, every outcome, delivery times 10, 20, 60, 40 and 30 s, and some just outside.
 */
async function seedFortnight(context: { orders: OrderRepository; database: Database }) {
  const ada = orderIdFor('ada');
  const bram = orderIdFor('bram');
  await context.orders.insert(makeOrder({ id: ada, customerName: 'Ada de Vries' }));
  await context.orders.insert(makeOrder({ id: bram, customerName: 'Bram <b>Bakker</b>' }));
  await seedMessages(context.database, [
    { orderId: ada, state: 'delivered', requestedAt: '2026-11-20T10:00:00.000Z', providerStatusAt: '2026-11-20T10:00:10+00:00' },
    { orderId: ada, state: 'delivered', requestedAt: '2026-11-20T11:00:00.000Z', providerStatusAt: '2026-11-20T11:00:20.000Z' },
    // MessageBird's time in another offset: 13:01+01:00 is 12:01 UTC, a minute after.
    { orderId: ada, state: 'delivered', requestedAt: '2026-11-20T12:00:00.000Z', providerStatusAt: '2026-11-20T13:01:00+01:00' },
    // 00:30 on the 20th in Amsterdam, still the 19th in UTC.
    { orderId: ada, state: 'delivered', requestedAt: '2026-11-19T23:30:00.000Z', providerStatusAt: '2026-11-19T23:30:40+00:00' },
    { orderId: bram, state: 'failed', requestedAt: '2026-11-20T18:00:00.000Z', errorCode: 21, errorDescription: failedReason },
    { orderId: bram, state: 'sent', requestedAt: '2026-11-20T19:00:00.000Z' },
    { orderId: bram, state: 'expired', requestedAt: '2026-11-19T22:30:00.000Z' },
    { orderId: ada, state: 'failed', requestedAt: '2026-11-19T12:00:00.000Z', errorCode: 21, errorDescription: failedReason },
    { orderId: ada, state: 'not-sent', requestedAt: '2026-11-19T13:00:00.000Z', errorDescription: 'No MessageBird API key is configured' },
    { orderId: ada, state: 'delivered', requestedAt: '2026-11-06T23:30:00.000Z', providerStatusAt: '2026-11-06T23:30:30+00:00' },
    // Outside the fortnight: 23:30 on 6 Nov and 00:00 on 21 Nov in Amsterdam.
    { orderId: ada, state: 'delivered', requestedAt: '2026-11-06T22:30:00.000Z', providerStatusAt: '2026-11-06T22:50:00+00:00' },
    { orderId: bram, state: 'failed', requestedAt: '2026-11-20T23:00:00.000Z', errorCode: 99, errorDescription: 'Outside the window' },
  ]);
  return { ada, bram };
}

function bar(html: string, day: string, outcome: string) {
  const match = new RegExp(`<rect class="chart-bar chart-${outcome}" data-day="${day}" data-outcome="${outcome}" x="[\\d.]+" y="([\\d.]+)" width="[\\d.]+" height="([\\d.]+)"><title>([^<]*)</title>`).exec(html);
  return match ? { y: Number(match[1]), height: Number(match[2]), title: match[3] } : undefined;
}

function tableRow(html: string, day: string): Record<string, number> {
  const row = new RegExp(`<tr data-day="${day}">(.*?)</tr>`).exec(html);
  if (!row) throw new Error(`no table row for ${day}`);
  return Object.fromEntries([...row[1]!.matchAll(/<td data-outcome="([\w-]+)">(\d+)<\/td>/g)].map((cell) => [cell[1], Number(cell[2])]));
}

describeEngines('GET /messages', (engine) => {
  it('charts and tabulates a known fortnight by the kitchen\'s days', async () => {
    const context = await amsterdam(engine);
    await seedFortnight(context);
    const cook = await context.signIn();

    const page = await cook.get('/messages?until=2026-11-20').expect(200);
    const html = page.text;

    expect(tableRow(html, '2026-11-20')).toEqual({ delivered: 4, failed: 1, expired: 0, 'not-sent': 0, cancelled: 0, open: 1, all: 6 });
    expect(tableRow(html, '2026-11-19')).toEqual({ delivered: 0, failed: 1, expired: 1, 'not-sent': 1, cancelled: 0, open: 0, all: 3 });
    expect(tableRow(html, '2026-11-07')).toEqual({ delivered: 1, failed: 0, expired: 0, 'not-sent': 0, cancelled: 0, open: 0, all: 1 });
    expect(tableRow(html, '2026-11-13')).toEqual({ delivered: 0, failed: 0, expired: 0, 'not-sent': 0, cancelled: 0, open: 0, all: 0 });
    expect(tableRow(html, 'all')).toEqual({ delivered: 5, failed: 2, expired: 1, 'not-sent': 1, cancelled: 0, open: 1, all: 10 });
    expect(html).not.toContain('data-day="2026-11-06"');
    expect(html).not.toContain('data-day="2026-11-21"');

    // The tallest day holds 6: the axis runs 0, 2, 4, 6 and a message is 228 / 6 = 38 units tall.
    expect(chartScale(6)).toBe(38);
    for (const tick of [0, 2, 4, 6]) expect(html).toMatch(new RegExp(`text-anchor="end">${tick}</text>`));
    expect(bar(html, '2026-11-20', 'delivered')).toEqual({ y: 124, height: 152, title: 'Fri 20 Nov: 4 delivered' });
    expect(bar(html, '2026-11-20', 'failed')).toEqual({ y: 86, height: 38, title: 'Fri 20 Nov: 1 failed' });
    expect(bar(html, '2026-11-20', 'open')).toEqual({ y: 48, height: 38, title: 'Fri 20 Nov: 1 still open' });
    expect(bar(html, '2026-11-20', 'expired')).toBeUndefined();
    expect(bar(html, '2026-11-19', 'not-sent')).toEqual({ y: 162, height: 38, title: 'Thu 19 Nov: 1 not sent' });
    expect(bar(html, '2026-11-07', 'delivered')).toEqual({ y: 238, height: 38, title: 'Sat 7 Nov: 1 delivered' });
    expect(html.match(/<rect class="chart-bar/g)).toHaveLength(7);
    expect(html).toContain('>Sat</text>');
    expect(html).toContain('>7 Nov</text>');

    // 5 delivered of 8 settled; delivery times 10, 20, 30, 40, 60 s.
    expect(html).toMatch(/id="delivery-rate">62\.5 %</);
    expect(html).toContain('of the 8 messages MessageBird settled');
    expect(html).toMatch(/id="median-delivery">30 s</);
    expect(html).toContain('over the 5 delivered messages');

    const today = createZonedCalendar('Europe/Amsterdam').dayOf(new Date());
    expect(html).toContain('<a href="/messages?until=2026-11-06">← Earlier 14 days</a>');
    expect(html).toContain(`<a href="/messages?until=${addDays('2026-11-20', 14) < today ? addDays('2026-11-20', 14) : today}">Later 14 days →</a>`);
  });

  it('lists the most common failure reasons and the recent failures, linked to their orders', async () => {
    const context = await amsterdam(engine);
    const { ada, bram } = await seedFortnight(context);
    const cook = await context.signIn();

    const html = (await cook.get('/messages?until=2026-11-20').expect(200)).text;

    const reasons = /<table class="failure-reasons">([\s\S]*?)<\/table>/.exec(html)![1]!;
    expect([...reasons.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td>(\d+)<\/td><\/tr>/g)].map((row) => row.slice(1))).toEqual([
      [failedReason, '21', '2'],
      ['No reason given', '—', '1'],
    ]);
    expect(reasons).not.toContain('Outside the window');

    const failures = /<table class="recent-failures">([\s\S]*?)<\/table>/.exec(html)![1]!;
    const links = [...failures.matchAll(/<a href="([^"]+)">([^<]*(?:&lt;[^<]*)*)<\/a>/g)].map((link) => [link[1], link[2]]);
    expect(links).toEqual([
      [`/orders/${bram}`, '#2 Bram &lt;b&gt;Bakker&lt;/b&gt;'],
      [`/orders/${bram}`, '#2 Bram &lt;b&gt;Bakker&lt;/b&gt;'],
      [`/orders/${ada}`, '#1 Ada de Vries'],
    ]);
    expect(failures).toContain(`${failedReason} (code 21)`);
  });

  it('shows an empty fortnight as zeros, with no bars and no figures', async () => {
    const context = await amsterdam(engine);
    const cook = await context.signIn();

    const html = (await cook.get('/messages?until=2026-11-20').expect(200)).text;

    expect(tableRow(html, 'all')).toEqual({ delivered: 0, failed: 0, expired: 0, 'not-sent': 0, cancelled: 0, open: 0, all: 0 });
    expect(html).not.toContain('<rect class="chart-bar');
    expect(html).toMatch(/id="delivery-rate">—</);
    expect(html).toMatch(/id="median-delivery">—</);
    expect(html).toContain('No text messages were asked for from 7 Nov to 20 Nov.');
    expect(html).toContain('No message failed or expired in these days.');
  });

  it('shows the last 14 days up to today by default, with a link in the header', async () => {
    const context = await amsterdam(engine);
    const cook = await context.signIn();
    const today = createZonedCalendar('Europe/Amsterdam').dayOf(new Date());

    const html = (await cook.get('/').expect(200)).text;
    expect(html).toContain('<a href="/messages">Messages</a>');
    const messages = (await cook.get('/messages').expect(200)).text;
    expect(messages).toContain(`<tr data-day="${today}">`);
    expect(messages.match(/<tr data-day="\d{4}-\d{2}-\d{2}">/g)).toHaveLength(14);
  });

  it('draws the chart without script or style attributes, under the strict policy', async () => {
    const context = await amsterdam(engine);
    await seedFortnight(context);
    const cook = await context.signIn();

    const page = await cook.get('/messages?until=2026-11-20').expect(200);

    const svg = /<svg[\s\S]*?<\/svg>/.exec(page.text)![0];
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-labelledby="messages-chart-title messages-chart-desc"');
    expect(svg).toContain('<title id="messages-chart-title">');
    expect(svg).toContain('5 delivered, 2 failed, 1 expired, 1 not sent, 0 cancelled, 1 still open');
    expect(svg).not.toMatch(/style=|<script|\bon\w+=/);
    expect(page.headers['content-security-policy']).toContain("style-src 'self'");
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('answers 400 for a day that is not a date, and still shows the page', async () => {
    const context = await amsterdam(engine);
    const cook = await context.signIn();

    for (const until of ['2026-02-30', 'yesterday', '2026-1-5']) {
      const page = await cook.get(`/messages?until=${until}`).expect(400);
      expect(page.text).toContain('Choose the last day to show as year-month-day, e.g. 2026-11-23.');
      expect(page.text).toContain('<h1>Messages</h1>');
    }
    await cook.get('/messages?until=2026-11-20&until=2026-11-21').expect(400);
  });

  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const context = await amsterdam(engine);
    const visitor = context.anonymous();

    const page = await visitor.get('/messages').expect(303);
    expect(page.headers.location).toBe('/login?next=%2Fmessages');
    const csv = await visitor.get('/messages/log.csv?from=2026-11-01&to=2026-11-20').expect(303);
    expect(csv.headers.location).toMatch(/^\/login\?next=/);
    expect(csv.headers['content-type']).not.toMatch(/csv/);
  });
});

describe('formatDuration', () => {
  it.each([[0.4, '0 s'], [27, '27 s'], [59.6, '1 min'], [125, '2 min 5 s'], [3600, '1 h'], [3780, '1 h 3 min']])('writes %s seconds as %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('message statistics queries', () => {
  async function plans(opened: SqliteDatabase): Promise<Array<{ sql: string; plan: string[] }>> {
    const { database, sources } = recordingDatabase(opened);
    const prepare = opened.sqlite.prepare.bind(opened.sqlite);
    // Every query of the page and the export, on days with timed deliveries (for the median).
    const stats = createMessageStatsRepository(database);
    const from = new Date('2026-11-06T00:00:00Z');
    const to = new Date('2026-11-21T00:00:00Z');
    expect((await stats.summary([{ day: '2026-11-06', from, to }])).timedDeliveries).toBeGreaterThan(0);
    let exported = 0;
    for await (const page of stats.log(from, to, 2)) exported += page.length;
    expect(exported).toBeGreaterThan(2);
    const parameters = { days: '[]', from: '', to: '', start: '', afterAt: '', afterId: 0, limit: 1, offset: 0 };
    return sources.map((sql) => ({ sql, plan: (prepare(`EXPLAIN QUERY PLAN ${sql}`).all(parameters) as Array<{ detail: string }>).map((row) => row.detail) }));
  }

  // SQLite only: it asks SQLite's own connection how it plans each query (EXPLAIN QUERY PLAN).
  it('reads messages only through an index range on requested_at, never a full scan', async () => {
    const context = await createTestApp({ config: amsterdamConfig() });
    await seedFortnight(context);
    const all = await plans(context.database);

    expect(all.length).toBeGreaterThanOrEqual(6);
    for (const { sql, plan } of all) {
      const onMessages = plan.filter((line) => /\bmessage\b/.test(line));
      expect(onMessages, sql).toHaveLength(1);
      expect(onMessages[0], sql).toMatch(/^SEARCH message USING (COVERING )?INDEX messages_requested_at \(requested_at>\? AND requested_at<\?\)$/);
    }
  });
});
