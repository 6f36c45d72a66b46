import { expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { describeEngines } from './support/engines.ts';
import { createTestApp, makeOrder, orderIdFor, testConfig } from './support/helpers.ts';

type Orders = Awaited<ReturnType<typeof createTestApp>>['orders'];

/** An order that came in half an hour before `at` and was finished (delivered or cancelled) at `at`. */
async function finishedAt(db: Database, orders: Orders, label: string, at: Date, fields: Partial<Parameters<typeof makeOrder>[0]> = {}) {
  await orders.insert(makeOrder({ id: orderIdFor(label), customerName: label, status: 'delivered', ...fields }));
  await db.run('UPDATE orders SET created_at = ?, updated_at = ? WHERE id = ?', [new Date(at.getTime() - 30 * 60_000).toISOString(), at.toISOString(), orderIdFor(label)]);
}

/** The CSV's rows as arrays of cells (quoted cells with commas or line breaks included). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') { cell += '"'; index += 1; } else if (char === '"') quoted = false; else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') { row.push(cell); cell = ''; } else if (char === '\r' && text[index + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; index += 1; } else cell += char;
  }
  return rows;
}

const amsterdam = testConfig({ TIME_ZONE: 'Europe/Amsterdam' });

describeEngines('the Done view’s day in numbers and as CSV', (engine) => {
  it('says how many orders the day delivered and cancelled, and links the day’s download', async () => {
    const { database, orders, signIn } = await createTestApp({ engine, config: amsterdam });
    const agent = await signIn();
    await finishedAt(database, orders, 'Ada', new Date('2026-11-20T17:00:00Z'));
    await finishedAt(database, orders, 'Bob', new Date('2026-11-20T18:00:00Z'));
    await finishedAt(database, orders, 'Cy', new Date('2026-11-20T19:00:00Z'), { status: 'cancelled' });
    await finishedAt(database, orders, 'Dee', new Date('2026-11-21T19:00:00Z'));

    const page = (await agent.get('/done').query({ day: '2026-11-20' }).expect(200)).text;
    expect(page).toContain('This day: <a href="/done?day=2026-11-20&amp;status=delivered">2 delivered</a>, <a href="/done?day=2026-11-20&amp;status=cancelled">1 cancelled</a>');
    expect(page).toContain('<a href="/done.csv?day=2026-11-20" download>Download the day (CSV)</a>');
    const searched = (await agent.get('/done').query({ day: '2026-11-20', q: 'ada' }).expect(200)).text;
    expect(searched).toContain('<a href="/done.csv?day=2026-11-20&amp;q=ada" download>Download the orders shown (CSV)</a>');
    const empty = (await agent.get('/done').query({ day: '2026-11-19' }).expect(200)).text;
    expect(empty).toContain('This day: 0 delivered, 0 cancelled');
    expect(empty).not.toContain('/done.csv');
  });

  it('shows the day’s cancelled (or delivered) orders only, from its total, keeping that choice across pages, days, search and the download', async () => {
    const { database, orders, signIn } = await createTestApp({ engine, config: amsterdam });
    const agent = await signIn();
    for (let index = 0; index < 55; index += 1) await finishedAt(database, orders, `Cancelled ${index}`, new Date(Date.parse('2026-11-20T12:00:00Z') + index * 60_000), { status: 'cancelled' });
    await finishedAt(database, orders, 'Delivered one', new Date('2026-11-20T19:00:00Z'));
    const idsIn = (html: string) => [...html.matchAll(/<tr id="order-([^"]+)"/g)].map((match) => match[1]!);

    const first = (await agent.get('/done').query({ day: '2026-11-20', status: 'cancelled' }).expect(200)).text;

    expect(idsIn(first)).toHaveLength(50);
    expect(idsIn(first)).not.toContain(orderIdFor('Delivered one'));
    expect(first).toContain('showing cancelled only, <a href="/done?day=2026-11-20">show all</a>');
    expect(first).toContain('<input type="hidden" name="status" value="cancelled">');
    expect(first).toContain('<a href="/done?day=2026-11-19&amp;status=cancelled">← Day before</a>');
    const next = /<a href="([^"]+)" rel="next">/.exec(first)![1]!.replaceAll('&amp;', '&');
    expect(next).toContain('status=cancelled');
    expect(idsIn((await agent.get(next).expect(200)).text)).toHaveLength(5);
    const delivered = (await agent.get('/done').query({ day: '2026-11-20', status: 'delivered' }).expect(200)).text;
    expect(idsIn(delivered)).toEqual([orderIdFor('Delivered one')]);
    const download = await agent.get('/done.csv').query({ day: '2026-11-20', status: 'cancelled' }).expect(200);
    expect(download.headers['content-disposition']).toBe('attachment; filename=done-2026-11-20-cancelled.csv');
    expect(parseCsv(download.text.slice(1)).slice(1).every((row) => row[1] === 'cancelled')).toBe(true);
    expect(parseCsv(download.text.slice(1))).toHaveLength(56);
    const refused = await agent.get('/done').query({ day: '2026-11-20', status: 'pending' }).expect(400);
    expect(refused.text).toContain('Show delivered or cancelled orders.');
  });

  it('downloads the day’s delivered and cancelled orders, newest first, times on the kitchen’s clock, as a spreadsheet reads them', async () => {
    const { database, orders, signIn } = await createTestApp({ engine, config: amsterdam });
    const agent = await signIn();
    await finishedAt(database, orders, 'Ada', new Date('2026-11-20T17:00:00Z'), {
      phone: '+31611111111', items: '2 x Margherita\n1 x Tiramisu', note: 'Ring twice, "loud"', deliveryAddress: 'Kerkstraat 12, 1017 GC Amsterdam',
      scheduledFor: '2026-11-20T16:45:00.000Z',
    });
    await finishedAt(database, orders, '=HYPERLINK("http://evil")', new Date('2026-11-20T18:00:00Z'), { status: 'cancelled' });
    await database.run('UPDATE order_status_changes SET reason = ? WHERE order_id = ?', ['Out of stock', orderIdFor('=HYPERLINK("http://evil")')]);
    await finishedAt(database, orders, 'Next day', new Date('2026-11-21T09:00:00Z'));
    await orders.insert(makeOrder({ id: orderIdFor('cooking'), customerName: 'Still cooking', status: 'confirmed' }));

    const response = await agent.get('/done.csv').query({ day: '2026-11-20' }).expect(200);

    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(response.headers['content-disposition']).toBe('attachment; filename=done-2026-11-20.csv');
    expect(response.text.startsWith('\uFEFF')).toBe(true);
    const [header, ...rows] = parseCsv(response.text.slice(1));
    // A cell starting with = + - @ would run as a formula: the apostrophe makes it text (a phone
    // number stays "+31…" instead of becoming the number 31611111111).
    expect(header).toEqual(['Number', 'Status', 'Cancel reason', 'Came in (Europe/Amsterdam)', 'Asked for (Europe/Amsterdam)', 'Done (Europe/Amsterdam)', 'Customer', 'Phone', 'Delivery address', 'Items', 'Note', 'Shop’s id', 'Order id']);
    expect(rows).toEqual([
      // Ada's order, asked for on the 20th, took that day's first number; this one today's first.
      ['1', 'cancelled', 'Out of stock', '2026-11-20 18:30:00', '', '2026-11-20 19:00:00', '\'=HYPERLINK("http://evil")', '\'+14127267380', '', '1 x Hipster Burger, Fries', '', '', orderIdFor('=HYPERLINK("http://evil")')],
      ['1', 'delivered', '', '2026-11-20 17:30:00', '2026-11-20 17:45:00', '2026-11-20 18:00:00', 'Ada', '\'+31611111111', 'Kerkstraat 12, 1017 GC Amsterdam', '2 x Margherita\n1 x Tiramisu', 'Ring twice, "loud"', '', orderIdFor('Ada')],
    ]);
  });

  it('downloads every page of a busy day, and only what the search found when there is one', async () => {
    const { database, orders, signIn } = await createTestApp({ engine, config: amsterdam });
    const agent = await signIn();
    for (let index = 0; index < 120; index += 1) await finishedAt(database, orders, `Customer ${index}`, new Date(Date.parse('2026-11-20T12:00:00Z') + Math.floor(index / 3) * 60_000));
    await finishedAt(database, orders, 'Grace Hopper', new Date('2026-11-20T20:00:00Z'));

    const all = parseCsv((await agent.get('/done.csv').query({ day: '2026-11-20' }).expect(200)).text.slice(1)).slice(1);
    expect(all).toHaveLength(121);
    expect(new Set(all.map((row) => row[12])).size).toBe(121);
    const found = parseCsv((await agent.get('/done.csv').query({ day: '2026-11-20', q: 'grace' }).expect(200)).text.slice(1)).slice(1);
    expect(found.map((row) => row[6])).toEqual(['Grace Hopper']);
  });

  it('answers 400 with a clear message to a day that does not exist, and sends signed-out visitors to sign in', async () => {
    const { signIn, anonymous } = await createTestApp({ engine });
    const agent = await signIn();
    const bad = await agent.get('/done.csv').query({ day: '2026-02-30' }).expect(400);
    expect(bad.headers['content-type']).toMatch(/^text\/html/);
    expect(bad.text).toContain('Nothing to download: Choose a day as year-month-day, e.g. 2026-11-23.');
    const signedOut = await anonymous().get('/done.csv').query({ day: '2026-11-20' }).expect(303);
    expect(signedOut.headers.location).toMatch(/^\/login/);
  });
});
