import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, signIn, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import { noonZone } from './support/noon-zone.ts';
import type { ServerProcess } from './support/server-process.ts';

const zone = noonZone();
/** The kitchen's wall clock `minutes` from now, as a datetime-local field takes it. */
const kitchenTime = (minutes: number) => new Date(Date.now() + zone.offsetMs + minutes * 60_000).toISOString().slice(0, 16);

describe.skipIf(!chromiumPath)('the New order form in a real browser', () => {
  let browser: Browser;
  let server: ServerProcess;
  let setup: BrowserTest | undefined;

  beforeAll(async () => {
    // Around noon on the kitchen's clock: an order a few hours ahead is still one for today.
    setup = await startBrowserTest({ DEFAULT_COUNTRY: 'NL', TIME_ZONE: zone.timeZone });
    ({ browser, server } = setup);
  });

  afterAll(() => setup?.close());

  it('adds an order typed with a national number; a landline is refused next to the field, the rest kept', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    // The refused form answers 400 on purpose; Chromium logs that as a console error.
    page.on('console', (message) => { if (message.type() === 'error' && !message.text().includes('status of 400')) errors.push(message.text()); });
    await signIn(page, server.url);
    // A second tablet keeps the board open the whole time.
    const board = await browser.newPage();
    await signIn(board, server.url);
    await board.evaluate(() => { (globalThis as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true; });

    // Styled as a button; still a link to the form.
    await page.getByRole('link', { name: 'New order' }).click();
    await page.getByLabel('Customer name').fill('Ada Lovelace');
    await page.getByLabel(/Mobile number/).fill('020 123 4567');
    await page.getByLabel(/Delivery address/).fill('Kerkstraat 12, 1017 GC Amsterdam');
    await page.getByLabel(/Items/).fill('2 x Margherita\n1 x Tiramisu');
    await page.getByLabel(/Note for the kitchen/).fill('no onions');
    await page.getByRole('button', { name: 'Add order' }).click();

    const phone = page.getByLabel(/Mobile number/);
    await expect.poll(() => phone.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#phone-error').textContent()).toContain('cannot receive text messages');
    expect(await phone.inputValue()).toBe('020 123 4567');
    expect(await page.getByLabel(/Items/).inputValue()).toBe('2 x Margherita\n1 x Tiramisu');
    expect(await page.getByLabel(/Delivery address/).inputValue()).toBe('Kerkstraat 12, 1017 GC Amsterdam');

    await phone.fill('06 12345678');
    await page.getByRole('button', { name: 'Add order' }).click();

    await expect.poll(() => page.getByRole('status').textContent()).toContain('Order #4 for Ada Lovelace added.');
    const row = page.getByRole('row', { name: /Ada Lovelace/ });
    expect(await row.textContent()).toContain('#4');
    expect(await row.textContent()).toContain('+31612345678');
    // The open board gets the new order in its live queue, without a reload.
    const live = board.locator('#active-orders').getByRole('row', { name: /Ada Lovelace/ });
    await expect.poll(() => live.count(), { timeout: 10_000 }).toBe(1);
    expect(await live.textContent()).toContain('#4');
    expect(await live.textContent()).toContain('Deliver to Kerkstraat 12, 1017 GC Amsterdam');
    expect(await board.evaluate(() => (globalThis as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);

    // The customer calls: another number and address. Corrected from the order's page, by keyboard,
    // the open board shows it without a reload.
    await row.getByRole('link', { name: 'Ada Lovelace' }).click();
    await page.getByRole('button', { name: 'Correct this order' }).click();
    await page.getByLabel(/Mobile number/).fill('06 23456789');
    await page.getByLabel(/Delivery address/).fill('Damrak 1, 1012 LG Amsterdam');
    await page.getByLabel(/Delivery address/).press('Enter');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Order #4 (Ada Lovelace) corrected: mobile number, delivery address.');
    expect((await page.getByRole('table', { name: 'Corrections' }).or(page.getByRole('region', { name: 'Corrections' })).textContent())!.replace(/\s+/g, ' ')).toContain('Mobile number: was +31612345678 → now +31623456789');
    await expect.poll(() => live.textContent(), { timeout: 10_000 }).toContain('Deliver to Damrak 1, 1012 LG Amsterdam');
    expect(await live.textContent()).toContain('+31623456789');
    expect(await board.evaluate(() => (globalThis as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    expect(errors, errors.join('\n')).toEqual([]);
  }, 60_000);

  it('adds an order for later below the orders due before it, and moves it up on the open board once it is wanted as soon as possible', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    await signIn(page, server.url);
    const board = await browser.newPage();
    await signIn(board, server.url);
    const names = () => board.locator('#active-orders tr th a[href^="/orders/"]').allTextContents();
    const addOrder = async (name: string, later?: string) => {
      await page.goto(`${server.url}/orders/new`);
      await page.getByLabel('Customer name').fill(name);
      await page.getByLabel(/Mobile number/).fill('06 12345678');
      await page.getByLabel(/Items/).fill('1 x Margherita');
      if (later) await page.getByLabel(/For later/).fill(later);
      await page.getByRole('button', { name: 'Add order' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain(`for ${name} added.`);
    };
    const later = kitchenTime(180);

    // Only the month typed: the field sends nothing, which must not become "as soon as possible".
    await page.goto(`${server.url}/orders/new`);
    await page.getByLabel('Customer name').fill('Half Typed');
    await page.getByLabel(/Mobile number/).fill('06 12345678');
    await page.getByLabel(/Items/).fill('1 x Soup');
    await page.getByLabel(/For later/).focus();
    await page.keyboard.type('12');
    await page.getByRole('button', { name: 'Add order' }).click();
    await expect.poll(() => page.locator('#scheduledFor-error').textContent()).toContain('only partly filled in');
    expect(await page.evaluate('document.activeElement?.id')).toBe('scheduledFor');
    expect(page.url()).toBe(`${server.url}/orders/new`);
    expect(await page.getByLabel('Customer name').inputValue()).toBe('Half Typed');

    await addOrder('Grace Later', later);
    await addOrder('Alan Now');

    await expect.poll(names, { timeout: 10_000 }).toEqual(expect.arrayContaining(['Grace Later', 'Alan Now']));
    expect((await names()).slice(-2)).toEqual(['Alan Now', 'Grace Later']);
    const graceRow = board.locator('#active-orders tr', { hasText: 'Grace Later' });
    expect(await graceRow.locator('.age').textContent()).toBe(`for ${later.slice(11)}`);

    // The customer calls: as soon as possible after all. The field is cleared by keyboard.
    await page.locator('#active-orders').getByRole('link', { name: 'Grace Later' }).click();
    await page.getByRole('button', { name: 'Correct this order' }).click();
    await page.getByLabel(/For later/).fill('');
    await page.getByLabel(/Note for the kitchen/).press('Enter');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('corrected: scheduled time.');

    await expect.poll(async () => (await names()).slice(-2), { timeout: 10_000 }).toEqual(['Grace Later', 'Alan Now']);
    expect(await graceRow.locator('.age').textContent()).toMatch(/^\d+ min$/);
    expect(await board.locator('#board-alerts .board-alert').textContent()).toMatch(/^Order #\d+ for Grace Later was corrected: scheduled time\. Show it OK$/);
    expect(errors, errors.join('\n')).toEqual([]);
  }, 60_000);

  it('tells an open board when an order for later is to be started: as long before its time as an order for now takes', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    // 31–32 minutes ahead (the field takes minutes): not yet within LATE_AFTER_MINUTES (30) of it.
    const later = kitchenTime(32);
    await page.goto(`${server.url}/orders/new`);
    await page.getByLabel('Customer name').fill('Edsger Soon');
    await page.getByLabel(/Mobile number/).fill('06 12345678');
    await page.getByLabel(/Items/).fill('1 x Soup');
    await page.getByLabel(/For later/).fill(later);
    await page.getByRole('button', { name: 'Add order' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('for Edsger Soon added.');

    // The board's own clock moves on; the server's rows stay as they were sent.
    const board = await browser.newPage();
    await board.clock.install();
    await signIn(board, server.url);
    const row = board.locator('#active-orders tr', { hasText: 'Edsger Soon' });
    expect(await row.locator('.age').textContent()).toBe(`for ${later.slice(11)}`);
    expect(await row.getAttribute('class')).toBeNull();

    await board.clock.fastForward('03:00');

    await expect.poll(() => row.locator('.age').textContent()).toBe(`for ${later.slice(11)} start now`);
    expect(await row.getAttribute('class')).toBe('start-now');
    expect(await board.locator('#board-alerts .board-alert').textContent()).toMatch(new RegExp(`^Order #\\d+ for Edsger Soon is wanted for ${later.slice(11)}: time to start it\\. Show it OK$`));
  }, 60_000);

  it('keeps an order for a later day off the open board, counted and listed, and reads the board again when the kitchen’s day ends', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    const board = await browser.newPage();
    await board.clock.install();
    await signIn(board, server.url);
    await board.evaluate(() => { (globalThis as unknown as { sameBoard: boolean }).sameBoard = true; });

    await page.goto(`${server.url}/orders/new`);
    await page.getByLabel('Customer name').fill('Barbara Tomorrow');
    await page.getByLabel(/Mobile number/).fill('06 12345678');
    await page.getByLabel(/Items/).fill('1 x Cake');
    await page.getByLabel(/For later/).fill(kitchenTime(24 * 60));
    await page.getByRole('button', { name: 'Add order' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('for Barbara Tomorrow added.');

    const laterLink = board.getByRole('link', { name: /for a later day|for later days/ });
    await expect.poll(() => laterLink.count(), { timeout: 10_000 }).toBe(1);
    expect(await board.locator('#active-orders tr', { hasText: 'Barbara Tomorrow' }).count()).toBe(0);
    await laterLink.click();
    await board.getByRole('row', { name: /Barbara Tomorrow/ }).waitFor();
    await board.goBack();
    await board.evaluate(() => { (globalThis as unknown as { sameBoard: boolean }).sameBoard = true; });

    // Past the kitchen's midnight (about twelve hours on from noon), the board reads itself again.
    await board.clock.fastForward('13:00:00');
    await expect.poll(() => board.evaluate(() => (globalThis as unknown as { sameBoard?: boolean }).sameBoard ?? false)).toBe(false);
  }, 60_000);
});
