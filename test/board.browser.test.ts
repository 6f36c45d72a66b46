import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, signIn, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import type { ServerProcess } from './support/server-process.ts';

const password = 'kitchen-door-blue-42';

describe.skipIf(!chromiumPath)('the board in a real browser', () => {
  let browser: Browser;
  let server: ServerProcess;
  let folder: string;
  let setup: BrowserTest | undefined;

  beforeAll(async () => {
    setup = await startBrowserTest({ ADMIN_PASSWORD: password });
    ({ browser, server, folder } = setup);
  });

  afterAll(() => setup?.close());

  it('changes Mike Madeater’s status, notifies him, and shows the flash', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    await signIn(page, server.url);

    const row = page.getByRole('row', { name: /Mike Madeater/ });
    await row.getByRole('combobox', { name: /Status/ }).selectOption('confirmed');
    // Picking confirmed ticks "Text the customer" (the default for confirmed); this time, no text.
    const textBox = row.getByRole('checkbox', { name: 'Text the customer' });
    expect(await textBox.isChecked()).toBe(true);
    await textBox.uncheck();
    await row.getByRole('button', { name: /Update/ }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Mike Madeater\'s order is now confirmed.');
    expect(await row.getByRole('combobox', { name: /Status/ }).inputValue()).toBe('confirmed');

    await row.getByRole('button', { name: /Notify customer/ }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Nothing was sent: no MessageBird API key is configured');

    // Reloading after the POST must not send it again: the flash shows once, the page is a plain GET.
    await page.reload();
    expect(await page.getByRole('status').count()).toBe(0);
    expect(server.output().match(/SMS not sent/g)).toHaveLength(1);
    expect(errors, errors.join('\n')).toEqual([]);
    await page.screenshot({ path: join(folder, 'board.png'), fullPage: true });
  });

  it('works by keyboard alone', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    const select = page.getByRole('row', { name: /Hannah Hungry/ }).getByRole('combobox', { name: /Status/ });
    await select.focus();
    await select.selectOption('confirmed');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Hannah Hungry\'s order is now confirmed.');
  });

  it('sets a delay with +20 and shows the expected time on the board, and texts it', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    const row = page.getByRole('row', { name: /Don Cheetos/ });
    const name = 'Don Cheetos';
    await row.getByRole('combobox', { name: /Status/ }).selectOption('delayed');
    // The script brings the quick picks at once; one press saves the delay (and texts: delayed's default).
    await row.getByRole('button', { name: '+20 min' }).click();

    const flash = page.getByRole('status');
    await expect.poll(() => flash.textContent()).toMatch(new RegExp(`${name}'s order is now delayed \\(20 minutes late, expected around ((?:tomorrow )?\\d\\d:\\d\\d)\\), but nothing was sent: no MessageBird API key is configured\\. ${name} would have received: “.*running about 20 minutes late; we now expect to deliver it around \\1\\.”`));
    // Near midnight the expected time is "tomorrow 00:15".
    const time = /expected around (?:tomorrow )?(\d\d:\d\d)/.exec((await flash.textContent())!)![1]!;
    // The kitchen's clock, as the server formats it, under the status badge of the delayed row.
    await expect.poll(() => row.locator('td').first().textContent()).toMatch(new RegExp(`^delayedexpected (tomorrow )?${time}$`));
  });
});
