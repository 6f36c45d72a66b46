import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTimeFormatter } from '../src/web/format.ts';
import { chromiumPath, signIn, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import { FakeMessageBird } from './support/fake-messagebird.ts';
import type { ServerProcess } from './support/server-process.ts';

describe.skipIf(!chromiumPath)('the kitchen\'s board in a real browser', () => {
  let browser: Browser;
  let server: ServerProcess;
  let fake: FakeMessageBird;
  let setup: BrowserTest | undefined;

  beforeAll(async () => {
    setup = await startBrowserTest({ NOTIFY_WAIT_MS: '1000', SMS_RETRY_BASE_MS: '1500', TIME_ZONE: 'Asia/Tokyo' }, { fakeMessageBird: true });
    ({ browser, server, fake } = setup);
  });

  afterAll(() => setup?.close());

  it('shows the times of the rows the live board receives in the kitchen\'s zone, not the browser\'s', async () => {
    // MessageBird says it is down for the first two tries (its own error body: it did not take the
    // message), so the board loads while the message waits for a retry and the row has a state to follow.
    const down = { status: 503, body: { errors: [{ code: 7, description: 'Service temporarily unavailable', parameter: null }] } };
    fake.reply(down, down);
    const context = await browser.newContext({ timezoneId: 'America/New_York' });
    const page = await context.newPage();
    await signIn(page, server.url);
    const row = page.getByRole('row', { name: /Mike Madeater/ });
    // The row is rendered by the server; the live stream replaces it with a fresh one as the message moves on.
    const state = row.locator('.message-state');

    await row.getByRole('button', { name: /Notify customer/ }).click();
    await expect.poll(() => state.textContent()).toMatch(/Queued|Sending/);
    await page.evaluate(() => { (globalThis as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true; });
    await expect.poll(() => state.textContent(), { timeout: 15_000 }).toMatch(/Sent/);
    // No reload: the row came over the live stream.
    expect(await page.evaluate(() => (globalThis as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);

    const time = state.locator('time');
    const at = (await time.getAttribute('datetime'))!;
    const shown = (await time.textContent())!;
    expect(shown).toBe(createTimeFormatter('Asia/Tokyo')(at));
    expect(shown).not.toBe(createTimeFormatter('America/New_York')(at));
    await context.close();
  });

  it('refuses to text the saved status while the list shows another, keeps the choice, and texts it with Update', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    const row = page.getByRole('row', { name: /Don Cheetos/ });
    const sent = fake.requests.length;

    await row.getByRole('combobox', { name: /Status/ }).selectOption('delivered');
    await row.getByRole('button', { name: /Notify customer/ }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Nothing was sent to Don Cheetos: the list shows delivered, but the saved status is confirmed.');
    expect(await row.getByRole('combobox', { name: /Status/ }).inputValue()).toBe('delivered');
    expect(fake.requests).toHaveLength(sent);

    // "Text the customer" came back ticked with the kept choice (delivered's default): one press does both.
    expect(await row.getByRole('checkbox', { name: 'Text the customer' }).isChecked()).toBe(true);
    await row.getByRole('button', { name: /Update/ }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Don Cheetos\'s order is now delivered and Don Cheetos was texted.');
    expect(fake.requests).toHaveLength(sent + 1);
    expect(fake.requests.at(-1)!.body.body).toMatch(/^Hello, Don Cheetos, you can start setting the table!/);
  });

  it('refuses an update from a page another tablet overtook, and says who changed it', async () => {
    const [first, second] = [await browser.newPage(), await browser.newPage()];
    await signIn(first, server.url);
    await signIn(second, server.url);
    const row = (page: typeof first) => page.getByRole('row', { name: /Hannah Hungry/ });
    const status = (page: typeof first) => row(page).getByRole('combobox', { name: /Status/ });
    const update = (page: typeof first) => row(page).getByRole('button', { name: /Update/ });

    // The second tablet has picked a status but not saved it: the live board leaves that row's form
    // as it is, so it still says which status its page showed.
    await status(second).selectOption('confirmed');
    await status(first).selectOption('delivered');
    await update(first).click();
    await expect.poll(() => first.getByRole('status').textContent()).toContain('Hannah Hungry\'s order is now delivered');
    // The rest of the row follows the live stream: it now says when the order was done.
    await expect.poll(() => row(second).locator('.age').textContent()).toMatch(/^done /);
    expect(await status(second).inputValue()).toBe('confirmed');

    await update(second).click();
    await expect.poll(() => second.getByRole('alert').textContent()).toMatch(/Hannah Hungry's order was changed to delivered by chef at \d\d:\d\d — check the board and try again\./);
    expect(await status(second).inputValue()).toBe('delivered');
  });
});
