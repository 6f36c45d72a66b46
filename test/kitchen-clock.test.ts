import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createTimeFormatter } from '../src/web/format.ts';
import { createTestApp, makeOrder, orderIdFor, testConfig } from './support/helpers.ts';
import { runServerToExit } from './support/server-process.ts';

const at = (iso: string) => () => new Date(iso);

describe('createTimeFormatter', () => {
  // 23:30 UTC on 22 Nov is already 12:30 on 23 Nov in Auckland (UTC+13 in summer).
  const auckland = createTimeFormatter('Pacific/Auckland', at('2026-11-22T23:30:00Z'));

  it('shows only the time for today in the zone, though the UTC date differs', () => {
    expect(auckland('2026-11-22T20:00:00Z')).toBe('09:00');
  });

  it('says "yesterday" by the zone\'s midnight, not UTC\'s', () => {
    // The same UTC day as "now", but the day before in Auckland.
    expect(auckland('2026-11-22T10:50:00Z')).toBe('yesterday 23:50');
  });

  it('says "tomorrow" for a time after the zone\'s next midnight', () => {
    expect(auckland('2026-11-23T11:10:00Z')).toBe('tomorrow 00:10');
  });

  it('shows day and month for other days, and the year when it is not this year', () => {
    expect(auckland('2026-11-21T10:50:00Z')).toBe('21 Nov 23:50');
    const amsterdam = createTimeFormatter('Europe/Amsterdam', at('2026-01-01T00:30:00Z'));
    expect(amsterdam('2025-12-30T12:00:00Z')).toBe('30 Dec 2025 13:00');
    expect(amsterdam('2025-12-31T23:10:00Z')).toBe('00:10');
  });

  it('counts today by the zone behind UTC too', () => {
    // 05:00 UTC on 23 Nov is 21:00 on 22 Nov in Los Angeles; 20:00 UTC on 22 Nov is 12:00 that day.
    const losAngeles = createTimeFormatter('America/Los_Angeles', at('2026-11-23T05:00:00Z'));
    expect(losAngeles('2026-11-22T20:00:00Z')).toBe('12:00');
    expect(losAngeles('2026-11-23T09:00:00Z')).toBe('tomorrow 01:00');
    expect(losAngeles('2026-11-22T07:50:00Z')).toBe('yesterday 23:50');
  });

  it('keeps "yesterday" right across a daylight-saving change', () => {
    // Amsterdam skips 02:00–03:00 on 29 Mar 2026: that day has 23 hours.
    const amsterdam = createTimeFormatter('Europe/Amsterdam', at('2026-03-30T00:30:00Z'));
    expect(amsterdam('2026-03-28T23:30:00Z')).toBe('yesterday 00:30');
    expect(amsterdam('2026-03-29T22:30:00Z')).toBe('00:30');
  });

  it('never writes midnight as 24:00', () => {
    expect(createTimeFormatter('UTC', at('2026-11-22T12:00:00Z'))('2026-11-22T00:00:00Z')).toBe('00:00');
  });
});

describe('TIME_ZONE', () => {
  it('defaults to the server\'s zone', () => {
    expect(loadConfig({}).timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(loadConfig({ TIME_ZONE: '' }).timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('takes an IANA name in its canonical spelling', () => {
    expect(loadConfig({ TIME_ZONE: 'Europe/Amsterdam' }).timeZone).toBe('Europe/Amsterdam');
    expect(loadConfig({ TIME_ZONE: ' europe/amsterdam ' }).timeZone).toBe('Europe/Amsterdam');
  });

  it.each(['Mars/Olympus_Mons', 'Amsterdam', '+01:00', 'CEST+1'])('refuses %j with a message naming the variable', (value) => {
    expect(() => loadConfig({ TIME_ZONE: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TIME_ZONE: value })).toThrow(/TIME_ZONE: must be an IANA time zone name such as Europe\/Amsterdam/);
  });

  it('stops start-up with that message and no stack trace', async () => {
    const { code, output } = await runServerToExit({ DATABASE_PATH: ':memory:', TIME_ZONE: 'Mars/Olympus_Mons' });
    expect(code).toBe(1);
    expect(output).toContain('TIME_ZONE: must be an IANA time zone name such as Europe/Amsterdam');
    expect(output).not.toMatch(/\n\s+at /);
  });
});

describe('every time on the pages in the kitchen\'s zone', () => {
  beforeEach(() => {
    // Only Date is fixed: timers and I/O run as usual.
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // The order is delivered at 10:50 UTC on 22 Nov (23:50 in Auckland); the board is read forty
  // minutes later, the same UTC day but 00:30 the next day in Auckland.
  const don = orderIdFor('don');

  async function deliveredLateLastNight() {
    vi.setSystemTime(new Date('2026-11-22T10:50:00Z'));
    // Delivered orders stay on the board for an hour here, so it still shows this one.
    const context = await createTestApp({ config: testConfig({ TIME_ZONE: 'Pacific/Auckland', DONE_VISIBLE_MINUTES: '60' }) });
    await context.orders.insert(makeOrder({ id: don, customerName: 'Don Cheetos', status: 'confirmed' }));
    const chef = await context.signIn('chef');
    await chef.post(`/orders/${don}/status`).send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(303);
    await chef.post(`/orders/${don}/notify`).send({ status: 'delivered', expectedStatus: 'delivered' }).expect(303);
    vi.setSystemTime(new Date('2026-11-22T11:30:00Z'));
    return { ...context, chef };
  }

  it('on the board, with the day when it is not today', async () => {
    const { chef } = await deliveredLateLastNight();
    const board = await chef.get('/').expect(200);
    expect(board.text).toContain('done yesterday 23:50');
    expect(board.text).toMatch(/Sent\s*<time datetime="2026-11-22T10:50:00.000Z">yesterday 23:50<\/time>/);
  });

  it('on the order page: history, first delivery and messages', async () => {
    const { chef } = await deliveredLateLastNight();
    const page = await chef.get(`/orders/${don}`).expect(200);
    expect(page.text).toContain('<dt>First delivered</dt><dd><time datetime="2026-11-22T10:50:00.000Z">yesterday 23:50</time></dd>');
    expect(page.text).toMatch(/<td><time datetime="2026-11-22T10:50:00.000Z">yesterday 23:50<\/time><\/td><td>delivered<\/td>/);
    expect(page.text).toMatch(/<td><time datetime="2026-11-22T10:50:00.000Z">yesterday 23:50<\/time><\/td>\s*<td>chef<\/td>/);
  });

  it('in the rows the live board receives, rendered by the server: the browser never formats a time', async () => {
    const { chef } = await deliveredLateLastNight();
    // Replayed from the start, as for a board that connected before the order was delivered.
    let stream = '';
    await chef.agent.get('/events?after=0').buffer(false).parse((response, done) => {
      const body = response as unknown as IncomingMessage;
      body.setEncoding('utf8');
      body.on('data', (chunk: string) => {
        stream += chunk;
        if (!stream.includes('event: counts')) return;
        body.destroy();
        done(null, undefined);
      });
    }).expect(200);
    const rows = [...stream.matchAll(/^event: order\ndata: (.*)$/gm)].map((match) => JSON.parse(match[1]!) as { id: string; place: string; html: string });
    expect(rows).toEqual([expect.objectContaining({ id: don, place: 'done' })]);
    expect(rows[0]!.html).toContain('done yesterday 23:50');
    expect(rows[0]!.html).toMatch(/Sent\s*<time datetime="2026-11-22T10:50:00.000Z">yesterday 23:50<\/time>/);
    // The board script only places the rows it gets: it has no clock or zone of its own.
    const script = await chef.get('/board.js').expect(200);
    expect(script.text).not.toMatch(/toLocale|Intl\.|getHours|getMinutes/);
  });

  it('in the refusal of a stale page', async () => {
    const { signIn } = await deliveredLateLastNight();
    const cook = await signIn('cook');
    const response = await cook.post(`/orders/${don}/status`).send({ status: 'pending', expectedStatus: 'confirmed' }).expect(409);
    expect(response.text).toContain('Don Cheetos&#39;s order was changed to delivered by chef at yesterday 23:50 — check the board and try again.');
  });

  it('in the answer to a second Notify', async () => {
    const { chef } = await deliveredLateLastNight();
    await chef.post(`/orders/${don}/notify`).send({ status: 'delivered', expectedStatus: 'delivered' }).expect(303);
    const board = await chef.get('/');
    expect(board.text).toContain('Don Cheetos was already texted that their order is delivered (at yesterday 23:50, now sent).');
  });
});
