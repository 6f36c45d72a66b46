import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, openScreen, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import type { ServerProcess } from './support/server-process.ts';

describe.skipIf(!chromiumPath)('the customer’s tracking page in a phone’s browser', () => {
  let browser: Browser;
  let server: ServerProcess;
  let setup: BrowserTest | undefined;
  let databasePath: string;

  beforeAll(async () => {
    setup = await startBrowserTest({ RESTAURANT_PHONE: '+31 20 123 4567' });
    ({ browser, server, databasePath } = setup);
  });

  afterAll(() => setup?.close());

  it('shows the news as the kitchen moves on, tells a screen reader, and stops reading once it is on its way', async () => {
    // Hannah's order has a tracking link, as the first text carrying it would have made.
    const database = new Database(databasePath);
    database.pragma('busy_timeout = 5000');
    const hannah = database.prepare("SELECT id, status FROM orders WHERE customer_name = 'Hannah Hungry'").get() as { id: string; status: string };
    database.prepare('INSERT INTO order_tracking (order_id, token, created_at) VALUES (?, ?, ?)').run(hannah.id, 'Hx3kP9vB2mWz', new Date().toISOString());
    database.close();
    const staff = await openScreen(browser, server.url, { width: 1024, height: 768 });
    const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    const errors: string[] = [];
    customer.on('pageerror', (error) => errors.push(error.message));
    await customer.clock.install();
    await customer.goto(`${server.url}/t/Hx3kP9vB2mWz`);
    expect(await customer.locator('.tracking-status').textContent()).toBe('Order received');
    expect(await customer.getByRole('link', { name: '+31 20 123 4567' }).getAttribute('href')).toBe('tel:+31201234567');
    expect(await customer.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    const row = staff.page.getByRole('row', { name: /Hannah Hungry/ });
    await row.getByRole('combobox', { name: /Status/ }).selectOption('confirmed');
    await row.getByRole('checkbox', { name: 'Text the customer' }).uncheck();
    await row.getByRole('button', { name: 'Update' }).click();
    await staff.page.getByRole('status').filter({ hasText: 'now confirmed' }).waitFor();
    await customer.clock.fastForward('00:31');

    await expect.poll(() => customer.locator('.tracking-status').textContent(), { timeout: 5000 }).toBe('Being prepared');
    expect(await customer.locator('#tracking-news').textContent()).toBe('Now: Being prepared');
    const again = staff.page.getByRole('row', { name: /Hannah Hungry/ });
    await again.getByRole('combobox', { name: /Status/ }).selectOption('delivered');
    await again.getByRole('button', { name: 'Update' }).click();
    await staff.page.getByRole('status').filter({ hasText: 'now delivered' }).waitFor();
    await customer.clock.fastForward('00:31');
    await expect.poll(() => customer.locator('.tracking-status').textContent(), { timeout: 5000 }).toBe('On its way');
    expect(await customer.getByRole('link', { name: 'Check again' }).count()).toBe(0);
    // Nothing more will change: the page stops asking.
    let reads = 0;
    customer.on('request', (request) => { if (request.url().includes('/t/')) reads++; });
    await customer.clock.fastForward('02:00');
    await customer.waitForTimeout(300);
    expect(reads).toBe(0);
    expect(errors).toEqual([]);
  }, 40_000);
});
