import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, openScreen, signIn, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import type { ServerProcess } from './support/server-process.ts';

describe.skipIf(!chromiumPath)('the live board on two screens', () => {
  let browser: Browser;
  let server: ServerProcess;
  let setup: BrowserTest | undefined;
  let databasePath: string;

  beforeAll(async () => {
    setup = await startBrowserTest();
    ({ browser, server, databasePath } = setup);
  });

  afterAll(() => setup?.close());

  const screen = (viewport?: { width: number; height: number }) => openScreen(browser, server.url, viewport);

  it('shows a colleague’s status change, a message state and a new order without reloading, keeping a half-made choice', async () => {
    const kitchen = await screen();
    const counter = await screen();
    // Anything that reloads the page loses this mark.
    await kitchen.page.evaluate(() => { (globalThis as unknown as { notReloaded: boolean }).notReloaded = true; });
    const hannahOnKitchen = kitchen.page.getByRole('row', { name: /Hannah Hungry/ });
    await hannahOnKitchen.getByRole('combobox', { name: /Status/ }).selectOption('delivered');

    // The counter changes Mike's status and notifies Hannah.
    const mikeOnCounter = counter.page.getByRole('row', { name: /Mike Madeater/ });
    await mikeOnCounter.getByRole('combobox', { name: /Status/ }).selectOption('confirmed');
    await mikeOnCounter.getByRole('checkbox', { name: 'Text the customer' }).uncheck();
    await mikeOnCounter.getByRole('button', { name: 'Update' }).click();
    await counter.page.getByRole('status').filter({ hasText: 'now confirmed' }).waitFor();
    await counter.page.getByRole('row', { name: /Hannah Hungry/ }).getByRole('button', { name: /Notify customer/ }).click();
    await counter.page.getByRole('status').filter({ hasText: /Nothing was sent|the message to Hannah Hungry is (queued|on its way)/i }).waitFor();

    // The shop's order lands in the database from outside this server's request handling.
    const shop = new Database(databasePath);
    shop.pragma('busy_timeout = 5000');
    const now = new Date().toISOString();
    shop.prepare(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at)
      VALUES ('0123456789abcdef0123456789abcdef', 'Grace Hopper', '+31612345678', '2 x Margherita', 'pending', ?, ?)`).run(now, now);
    shop.close();

    const mikeOnKitchen = kitchen.page.getByRole('row', { name: /Mike Madeater/ });
    await expect.poll(() => mikeOnKitchen.getByRole('combobox', { name: /Status/ }).inputValue(), { timeout: 5000 }).toBe('confirmed');
    await kitchen.page.getByRole('row', { name: /Grace Hopper/ }).waitFor({ timeout: 5000 });
    await expect.poll(() => hannahOnKitchen.textContent(), { timeout: 5000 }).toContain('Not sent');
    expect(await hannahOnKitchen.getByRole('combobox', { name: /Status/ }).inputValue()).toBe('delivered');

    // The newest order is last in the queue, and the counts moved with it.
    const rows = await kitchen.page.locator('#active-orders tr th a:first-of-type').allTextContents();
    expect(rows.at(-1)).toBe('Grace Hopper');
    expect(await kitchen.page.locator('#board-counts').textContent()).toMatch(/pending\s*2/);
    expect(await kitchen.page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect([...kitchen.errors, ...counter.errors]).toEqual([]);
  }, 40_000);

  it('counts ages up, marks an order late and lets a delivered one go while the page stays open', async () => {
    const shop = new Database(databasePath);
    shop.pragma('busy_timeout = 5000');
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    shop.prepare(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at)
      VALUES ('a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1', 'Ada Lovelace', '+31612345678', '1 x Fries', 'confirmed', ?, ?)`).run(ago(29), ago(20));
    shop.prepare(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at, delivered_at)
      VALUES ('b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0', 'Bob Bakker', '+31612345679', '1 x Cola', 'delivered', ?, ?, ?)`).run(ago(40), ago(9), ago(9));
    shop.close();

    const page = await (await browser.newContext()).newPage();
    await page.clock.install();
    await signIn(page, server.url);
    const ada = page.getByRole('row', { name: /Ada Lovelace/ });
    expect(await ada.locator('.age').textContent()).toBe('29 min');
    await page.locator('#recently-done').getByRole('row', { name: /Bob Bakker/ }).waitFor();

    await page.clock.fastForward('02:00');

    await expect.poll(() => ada.locator('.age').textContent()).toBe('31 min late');
    expect(await ada.getAttribute('class')).toBe('late');
    await expect.poll(() => page.getByRole('row', { name: /Bob Bakker/ }).count()).toBe(0);
  }, 40_000);

  it('tells the kitchen at once when an order on its queue is cancelled elsewhere, until someone presses OK', async () => {
    // A phone: the board is longer than the screen.
    const kitchen = await screen({ width: 390, height: 844 });
    const counter = await screen();
    const donOnCounter = counter.page.getByRole('row', { name: /Don Cheetos/ });
    // A delivery elsewhere is the normal course: no notice for it.
    await counter.page.getByRole('row', { name: /Hannah Hungry/ }).getByRole('combobox', { name: /Status/ }).selectOption('delivered');
    await counter.page.getByRole('row', { name: /Hannah Hungry/ }).getByRole('button', { name: 'Update' }).click();
    await counter.page.getByRole('status').filter({ hasText: 'now delivered' }).waitFor();
    await kitchen.page.locator('#recently-done').getByRole('row', { name: /Hannah Hungry/ }).waitFor({ timeout: 5000 });
    expect(await kitchen.page.locator('.board-alert').count()).toBe(0);

    await donOnCounter.getByRole('combobox', { name: /Status/ }).selectOption('cancelled');
    // Picking cancelled brings the optional reason, with suggestions; Enter in it presses Update.
    const reason = donOnCounter.getByRole('combobox', { name: 'Why cancelled (optional)' });
    await reason.fill('Out of stock');
    await reason.press('Enter');

    const notice = kitchen.page.locator('#board-alerts .board-alert');
    await notice.waitFor({ timeout: 5000 });
    // In sight even when the kitchen had scrolled down the board.
    await kitchen.page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    expect(await kitchen.page.evaluate('window.scrollY')).toBeGreaterThan(200);
    const box = (await notice.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(kitchen.page.viewportSize()!.height);
    expect(await notice.textContent()).toMatch(/^Order #\d+ for Don Cheetos was cancelled \(Out of stock\) — stop preparing it\. Show it OK$/);
    expect(await kitchen.page.locator('#board-alerts').getAttribute('aria-live')).toBe('assertive');
    expect(await kitchen.page.locator('#recently-done').getByRole('row', { name: /Don Cheetos/ }).count()).toBe(1);
    await notice.getByRole('button', { name: /^OK/ }).click();
    expect(await kitchen.page.locator('.board-alert').count()).toBe(0);
    // The screen that cancelled it gets its flash, not the notice.
    expect(await counter.page.locator('.board-alert').count()).toBe(0);
    expect([...kitchen.errors, ...counter.errors]).toEqual([]);
  }, 40_000);

  it('tells the kitchen when an order on its queue is corrected elsewhere, naming what changed, and keeps a half-made choice', async () => {
    const shop = new Database(databasePath);
    shop.pragma('busy_timeout = 5000');
    const now = new Date().toISOString();
    const alan = 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0';
    shop.prepare(`INSERT INTO orders (id, customer_name, phone, items, delivery_address, status, created_at, updated_at)
      VALUES (?, 'Alan Turing', '+31612345670', '1 x Margherita', 'Kerkstraat 12', 'pending', ?, ?)`).run(alan, now, now);
    shop.close();
    const kitchen = await screen({ width: 1024, height: 768 });
    const counter = await screen();
    const alanOnKitchen = kitchen.page.getByRole('row', { name: /Alan Turing/ });
    await alanOnKitchen.getByRole('combobox', { name: /Status/ }).selectOption('delayed');
    // A status change elsewhere is no correction.
    await counter.page.getByRole('row', { name: /Alan Turing/ }).getByRole('combobox', { name: /Status/ }).selectOption('confirmed');
    await counter.page.getByRole('row', { name: /Alan Turing/ }).getByRole('button', { name: 'Update' }).click();
    await counter.page.getByRole('status').filter({ hasText: 'now confirmed' }).waitFor();
    await expect.poll(() => alanOnKitchen.locator('td b').first().textContent(), { timeout: 5000 }).toBe('confirmed');

    await counter.page.goto(`${server.url}/orders/${alan}/edit`);
    await counter.page.getByLabel(/^Items/).fill('2 x Margherita\n1 x Tiramisu');
    await counter.page.getByLabel(/^Delivery address/).fill('Damrak 1, 1012 LG Amsterdam');
    await counter.page.getByRole('button', { name: 'Save corrections' }).click();

    const notice = kitchen.page.locator('#board-alerts .board-alert');
    await notice.waitFor({ timeout: 5000 });
    // Inserted by hand, the order has no number of the day.
    expect(await notice.textContent()).toBe('The order for Alan Turing was corrected: items and delivery address. Show it OK');
    expect(await alanOnKitchen.textContent()).toContain('Damrak 1, 1012 LG Amsterdam');
    expect(await alanOnKitchen.textContent()).toContain('1 x Tiramisu');
    expect(await alanOnKitchen.getByRole('combobox', { name: /Status/ }).inputValue()).toBe('delayed');
    await notice.getByRole('button', { name: 'OK: The order for Alan Turing was corrected' }).click();
    expect(await kitchen.page.locator('.board-alert').count()).toBe(0);
    expect([...kitchen.errors, ...counter.errors]).toEqual([]);
  }, 40_000);

  it('offers Sound on new orders and alerts, off by default, remembered per screen', async () => {
    const { page, errors } = await screen();
    const toggle = page.getByRole('switch', { name: 'Sound on new orders and alerts' });
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await page.reload();
    expect(await page.getByRole('switch', { name: 'Sound on new orders and alerts' }).isChecked()).toBe(true);
    const other = await screen();
    expect(await other.page.getByRole('switch', { name: 'Sound on new orders and alerts' }).isChecked()).toBe(false);
    const sound = await page.request.get(`${server.url}/new-order.wav`);
    expect(sound.headers()['content-type']).toMatch(/audio\/(wav|x-wav|wave)/);
    expect(errors).toEqual([]);
  }, 40_000);

  it('shows a pause of the online orders on the other screen at once, by keyboard, and drops it when it runs out', async () => {
    const pausing = await screen();
    const other = await screen();
    // The other screen's clock can be moved on; it starts at the real time.
    await other.page.clock.install();
    await other.page.reload();

    await pausing.page.getByRole('link', { name: 'Pause online orders' }).focus();
    await pausing.page.keyboard.press('Enter');
    await pausing.page.getByRole('button', { name: 'Pause for 15 min' }).focus();
    await pausing.page.keyboard.press('Enter');
    await pausing.page.getByRole('status').filter({ hasText: 'Online orders are paused until' }).waitFor();

    const badge = other.page.getByRole('link', { name: /^Online orders paused until \d\d:\d\d$/ });
    await badge.waitFor();
    // The whole pause, and a half-minute tick of the board's own clock.
    await other.page.clock.fastForward('15:31');
    await expect.poll(() => badge.count()).toBe(0);

    // Open again early from the badge's page: the screen that paused loses its badge too.
    await pausing.page.getByRole('link', { name: /^Online orders paused until/ }).click();
    await pausing.page.getByRole('button', { name: 'Open online orders now' }).click();
    await pausing.page.getByRole('status').filter({ hasText: 'Online orders are open again.' }).waitFor();
    expect(await pausing.page.locator('.badge-paused').count()).toBe(0);
    expect([...pausing.errors, ...other.errors]).toEqual([]);
  }, 40_000);
});
