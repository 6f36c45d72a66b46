import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, openScreen, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import type { ServerProcess } from './support/server-process.ts';

describe.skipIf(!chromiumPath)('the order’s page and the Done view in the browser', () => {
  let browser: Browser;
  let server: ServerProcess;
  let setup: BrowserTest | undefined;

  beforeAll(async () => {
    setup = await startBrowserTest();
    ({ browser, server } = setup);
  });

  afterAll(() => setup?.close());

  const screen = (viewport?: { width: number; height: number }) => openScreen(browser, server.url, viewport);

  it('on the order’s page, by keyboard on a tablet: delayed brings the quick picks, one press saves and comes back', async () => {
    const { page, errors } = await screen({ width: 1024, height: 768 });
    await page.getByRole('row', { name: /Don Cheetos/ }).getByRole('link', { name: 'Don Cheetos' }).click();
    await page.getByRole('heading', { name: 'Change the status' }).waitFor();
    const status = page.getByRole('combobox', { name: 'Status of Don Cheetos’s order' });
    expect(await page.getByRole('button', { name: '+20 min' }).count()).toBe(0);

    await status.focus();
    await status.selectOption('delayed');
    // The admin's default for delayed ticks the box.
    expect(await page.getByRole('checkbox', { name: 'Text the customer' }).isChecked()).toBe(true);
    await page.getByRole('checkbox', { name: 'Text the customer' }).uncheck();
    await page.getByRole('button', { name: '+20 min' }).focus();
    await page.keyboard.press('Enter');

    await page.getByRole('status').filter({ hasText: 'Don Cheetos\'s order is now delayed (20 minutes late' }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/orders\/[0-9a-f]{32}$/);
    expect(await page.locator('.order-facts .badge').textContent()).toBe('delayed');
    expect(await page.getByRole('combobox', { name: 'Status of Don Cheetos’s order' }).inputValue()).toBe('delayed');
    expect(errors).toEqual([]);
  }, 40_000);

  it('on the Done view: cancelling a delivered order brings the reason field there too', async () => {
    const { page, errors } = await screen({ width: 1024, height: 768 });
    const hannah = page.getByRole('row', { name: /Hannah Hungry/ });
    await hannah.getByRole('combobox', { name: /Status/ }).selectOption('delivered');
    await hannah.getByRole('button', { name: 'Update' }).click();
    await page.getByRole('status').filter({ hasText: 'now delivered' }).waitFor();
    await page.goto(`${server.url}/done`);
    const row = page.getByRole('row', { name: /Hannah Hungry/ });

    await row.getByRole('combobox', { name: /Status/ }).selectOption('cancelled');
    const reason = row.getByRole('combobox', { name: 'Why cancelled (optional)' });
    await reason.fill('Test order');
    await reason.press('Enter');

    await page.getByRole('status').filter({ hasText: 'Hannah Hungry\'s order is now cancelled (Test order).' }).waitFor();
    expect(errors).toEqual([]);
  }, 40_000);

  it('puts a quick answer after what is typed, keeps the draft through a status change on the page, and sends it', async () => {
    const { page, errors } = await screen({ width: 390, height: 844 });
    await page.getByRole('row', { name: /Mike Madeater/ }).getByRole('link', { name: 'Mike Madeater' }).click();
    const field = page.getByLabel('Text Mike Madeater; sending marks their texts read');
    await field.fill('Hi Mike!');

    await page.getByRole('button', { name: 'Your order is on its way.' }).click();

    expect(await field.inputValue()).toBe('Hi Mike! Your order is on its way.');
    expect(await page.locator('#answer-count').textContent()).toBe('GSM-7: 34 characters, 1 SMS part.');
    expect(await page.evaluate('document.activeElement.id')).toBe('answer-body');
    await page.getByRole('combobox', { name: 'Status of Mike Madeater’s order' }).selectOption('confirmed');
    await page.getByRole('button', { name: 'Update' }).click();
    await page.getByRole('status').filter({ hasText: 'Mike Madeater\'s order is now confirmed' }).waitFor();
    expect(await field.inputValue()).toBe('Hi Mike! Your order is on its way.');
    await page.getByRole('button', { name: 'Send the text' }).click();
    // No MessageBird key: not sent; on a busy machine the flash may still say queued or under way.
    await page.getByRole('status').filter({ hasText: /Nothing was sent|the message to Mike Madeater is (queued|on its way)/i }).waitFor();
    await page.locator('#conversation-list').getByText('Hi Mike! Your order is on its way.').waitFor();
    // Sent: the next visit starts with an empty field.
    expect(await field.inputValue()).toBe('');
    await page.reload();
    expect(await field.inputValue()).toBe('');
    expect(errors).toEqual([]);
  }, 40_000);

  it('follows changes made elsewhere without a reload: the facts always, the status form while nobody is using it', async () => {
    const kitchen = await screen({ width: 1024, height: 768 });
    const counter = await screen();
    await kitchen.page.getByRole('row', { name: /Hannah Hungry/ }).getByRole('link', { name: 'Hannah Hungry' }).click();
    await kitchen.page.getByRole('heading', { name: 'Change the status' }).waitFor();
    await kitchen.page.evaluate(() => { (globalThis as unknown as { notReloaded: boolean }).notReloaded = true; });
    const badge = kitchen.page.locator('.order-facts .badge');
    const status = kitchen.page.getByRole('combobox', { name: 'Status of Hannah Hungry’s order' });
    const before = await badge.textContent();
    const next = before === 'confirmed' ? 'pending' : 'confirmed';
    const hannahOnCounter = counter.page.getByRole('row', { name: /Hannah Hungry/ });

    await hannahOnCounter.getByRole('combobox', { name: /Status/ }).selectOption(next);
    await hannahOnCounter.getByRole('checkbox', { name: 'Text the customer' }).uncheck();
    await hannahOnCounter.getByRole('button', { name: 'Update' }).click();

    await expect.poll(() => badge.textContent(), { timeout: 5000 }).toBe(next);
    expect(await status.inputValue()).toBe(next);
    // Now the kitchen picks a status in the form put in by the update (its delay field comes as
    // before) and, before pressing Update, the counter changes it again.
    await status.selectOption('delayed');
    expect(await kitchen.page.getByRole('button', { name: '+10 min' }).count()).toBe(1);
    await counter.page.getByRole('status').filter({ hasText: `now ${next}` }).waitFor();
    const again = counter.page.getByRole('row', { name: /Hannah Hungry/ });
    await again.getByRole('combobox', { name: /Status/ }).selectOption(before!);
    await again.getByRole('button', { name: 'Update' }).click();

    await expect.poll(() => badge.textContent(), { timeout: 5000 }).toBe(before);
    expect(await status.inputValue()).toBe('delayed');
    expect(await kitchen.page.getByRole('button', { name: '+10 min' }).count()).toBe(1);
    expect(await kitchen.page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect([...kitchen.errors, ...counter.errors]).toEqual([]);
  }, 40_000);
});
