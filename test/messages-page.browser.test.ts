import type { Browser, ConsoleMessage } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, signIn, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import { seedKitchenBoard } from './support/kitchen-board.ts';

describe.skipIf(!chromiumPath)('the Messages page in a real browser', () => {
  let setup: BrowserTest | undefined;
  let browser: Browser;

  beforeAll(async () => {
    // Today's messages in every state, failed and expired ones with a reason.
    setup = await startBrowserTest({}, { prepare: async (databasePath) => { await seedKitchenBoard(databasePath); } });
    browser = setup.browser;
  });

  afterAll(() => setup?.close());

  it('draws the chart in the scheme\'s colours with nothing refused by the security policy, light and dark', async () => {
    // --od-green-line in each scheme (public/app.css).
    const delivered = { light: 'rgb(46, 125, 50)', dark: 'rgb(92, 195, 110)' };
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ colorScheme });
      const page = await context.newPage();
      const refused: string[] = [];
      page.on('console', (message: ConsoleMessage) => {
        if (/Content.Security.Policy/i.test(message.text())) refused.push(message.text());
      });
      await signIn(page, setup!.server.url);
      await page.getByRole('link', { name: 'Messages' }).click();
      await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();

      const chart = page.getByRole('img', { name: 'Text messages per day, by outcome' });
      expect(await chart.isVisible()).toBe(true);
      const fills = await page.evaluate(`({
        delivered: getComputedStyle(document.querySelector('rect.chart-bar.chart-delivered')).fill,
        text: getComputedStyle(document.querySelector('.chart text')).fill,
        background: getComputedStyle(document.body).backgroundColor,
      })`) as { delivered: string; text: string; background: string };
      expect(fills.delivered, colorScheme).toBe(delivered[colorScheme]);
      // The axis text is the page's text colour, not SVG's default black on a dark page.
      expect(fills.text, colorScheme).not.toBe('rgb(0, 0, 0)');
      expect(fills.text, colorScheme).not.toBe(fills.background);
      expect(refused, colorScheme).toEqual([]);
      await context.close();
    }
  });

  it('downloads the CSV from the export form by keyboard', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await signIn(page, setup!.server.url);
    await page.goto(`${setup!.server.url}/messages`);

    await page.getByLabel('First day').fill('2026-01-01');
    await page.getByLabel('Last day').fill('2026-12-31');
    await page.getByRole('button', { name: 'Download CSV' }).focus();
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);

    expect(download.suggestedFilename()).toBe('messages-2026-01-01-to-2026-12-31.csv');
    await context.close();
  });

  it('keeps the typed dates and says what is wrong when the range is reversed', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, setup!.server.url);
    await page.goto(`${setup!.server.url}/messages`);

    await page.getByLabel('First day').fill('2026-11-21');
    await page.getByLabel('Last day').fill('2026-11-20');
    await page.getByRole('button', { name: 'Download CSV' }).click();

    await page.getByText('The first day is after the last day.').waitFor();
    expect(await page.getByLabel('First day').inputValue()).toBe('2026-11-21');
    expect(await page.getByLabel('Last day').inputValue()).toBe('2026-11-20');
    await context.close();
  });
});
