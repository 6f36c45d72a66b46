import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, openScreen, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import type { ServerProcess } from './support/server-process.ts';

const token = 'inbound-token-0123456789abcdefghijklmnop';

describe.skipIf(!chromiumPath)('texts from customers in the browser', () => {
  let browser: Browser;
  let server: ServerProcess;
  let setup: BrowserTest | undefined;

  beforeAll(async () => {
    setup = await startBrowserTest({ INBOUND_WEBHOOK_TOKEN: token });
    ({ browser, server } = setup);
  });

  afterAll(() => setup?.close());

  const screen = (viewport?: { width: number; height: number }) => openScreen(browser, server.url, viewport);

  /** A customer texts the restaurant's number; MessageBird's flow forwards it to the server. */
  async function customerTexts(originator: string, payload: string) {
    const response = await fetch(`${server.url}/webhooks/messagebird/inbound/${token}`, { method: 'POST', body: new URLSearchParams({ originator, payload }) });
    expect(response.status).toBe(200);
  }

  it('shows a text on every open board at once, in the order’s row, until someone marks it read', async () => {
    const kitchen = await screen({ width: 1024, height: 768 });
    const counter = await screen({ width: 390, height: 844 });
    await kitchen.page.evaluate(() => { (globalThis as unknown as { notReloaded: boolean }).notReloaded = true; });

    await customerTexts('14127267380', 'Please ring twice, the bell is broken');

    const notice = kitchen.page.locator('#board-alerts .board-alert');
    await notice.waitFor({ timeout: 5000 });
    expect(await notice.textContent()).toBe('#1 Hannah Hungry texted: Please ring twice, the bell is broken Show it OK');
    const hannah = kitchen.page.getByRole('row', { name: /Hannah Hungry/ });
    await hannah.getByRole('note').filter({ hasText: 'Please ring twice' }).waitFor();
    expect(await kitchen.page.getByRole('link', { name: '1 unread text from a customer' }).count()).toBe(1);
    expect(await kitchen.page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The phone-sized screen got it too, and the text wraps inside its card.
    const onPhone = counter.page.getByRole('row', { name: /Hannah Hungry/ }).getByRole('note');
    await onPhone.waitFor({ timeout: 5000 });
    expect(await counter.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    const markOnPhone = (await counter.page.getByRole('button', { name: 'Mark read: Hannah Hungry’s text' }).boundingBox())!;
    expect(markOnPhone.height).toBeGreaterThanOrEqual(44);

    await notice.getByRole('button', { name: /^OK/ }).click();
    expect(await kitchen.page.locator('.board-alert').count()).toBe(0);

    // A status picked and not yet saved in that row stays picked when the next text comes in.
    await hannah.getByRole('combobox', { name: /Status/ }).selectOption('confirmed');
    await customerTexts('14127267380', 'And the code is 4711');
    await hannah.getByRole('note').filter({ hasText: 'And the code is 4711' }).waitFor({ timeout: 5000 });
    expect(await hannah.getByRole('note').textContent()).toContain('2 texts from the customer, the newest');
    expect(await hannah.getByRole('combobox', { name: /Status/ }).inputValue()).toBe('confirmed');
    await kitchen.page.locator('#board-alerts .board-alert').getByRole('button', { name: /^OK/ }).click();
    await hannah.getByRole('combobox', { name: /Status/ }).selectOption('pending');

    // By keyboard: the row's Mark read button, then back to the row.
    await hannah.getByRole('button', { name: 'Mark read: Hannah Hungry’s texts' }).focus();
    await kitchen.page.keyboard.press('Enter');
    await kitchen.page.getByRole('status').filter({ hasText: 'Hannah Hungry\'s 2 texts marked read.' }).waitFor();
    expect(await kitchen.page.evaluate('document.activeElement.id')).toMatch(/^order-/);
    expect(await kitchen.page.getByRole('row', { name: /Hannah Hungry/ }).getByRole('note').count()).toBe(0);
    // The other screen lets it go without a reload.
    await onPhone.waitFor({ state: 'detached', timeout: 5000 });
    expect(await counter.page.getByRole('link', { name: /unread text/ }).count()).toBe(0);
    expect([...kitchen.errors, ...counter.errors]).toEqual([]);
  }, 40_000);

  it('announces a text from a number on no order with a link to the texts, where it can be read and marked', async () => {
    const { page, errors } = await screen({ width: 1024, height: 768 });
    await customerTexts('447911123456', 'Are you open on Sunday?');
    const notice = page.locator('#board-alerts .board-alert');
    await notice.waitFor({ timeout: 5000 });
    expect(await notice.textContent()).toBe('+447911123456 texted: Are you open on Sunday? Open the texts OK');
    await notice.getByRole('link', { name: 'Open the texts' }).click();
    await page.getByRole('heading', { name: 'Texts from customers' }).waitFor();
    const row = page.getByRole('row', { name: /Are you open on Sunday/ });
    await row.getByRole('button', { name: 'Mark read: the text from +447911123456' }).click();
    await page.getByRole('status').filter({ hasText: 'The text from +447911123456 is marked read.' }).waitFor();
    // The notice led to the unread ones: none are left. All texts says who read it.
    await page.getByText('No unread texts: every text from a customer has been read.').waitFor();
    await page.getByRole('link', { name: 'All texts' }).click();
    expect(await page.getByRole('row', { name: /Are you open on Sunday/ }).textContent()).toContain('chef');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(errors).toEqual([]);
  }, 40_000);

  it('answers a text from the row’s Answer link, by keyboard, counting the SMS parts while typing', async () => {
    const { page, errors } = await screen({ width: 768, height: 1024 });
    await customerTexts('14127267380', 'Can I add a cola?');
    const hannah = page.getByRole('row', { name: /Hannah Hungry/ });
    await hannah.getByRole('note').filter({ hasText: 'Can I add a cola?' }).waitFor({ timeout: 5000 });

    await hannah.getByRole('link', { name: 'Answer Hannah Hungry' }).focus();
    await page.keyboard.press('Enter');
    const field = page.getByRole('textbox', { name: /^Text Hannah Hungry/ });
    await field.focus();
    await page.keyboard.type('Yes! A cola is on its way 🥤');
    // The emoji makes it UCS-2: the count says so before anything is sent.
    await page.getByText(/^UCS-2: \d+ characters, 1 SMS part\. UCS-2 because of/).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Send the text');
    await page.keyboard.press('Enter');

    // No MessageBird key here: nothing goes out. The flash says so when the outbox's first try
    // ended within the wait, else that it is queued or under way (a busy machine); the list shows
    // the state as it settles.
    await page.getByRole('status').filter({ hasText: /Hannah Hungry would have received: “Yes! A cola is on its way 🥤”|the message to Hannah Hungry is (queued|on its way)/i }).waitFor();
    const conversation = page.locator('ol.replies');
    await conversation.locator('li.answer').last().filter({ hasText: 'Not sent' }).waitFor({ timeout: 10_000 });
    // The first test's texts come first: the same order, on the same server.
    expect((await conversation.locator('li').allTextContents()).slice(-2)).toEqual([
      expect.stringMatching(/Hannah Hungry: Can I add a cola\? read by chef at/),
      expect.stringMatching(/chef: Yes! A cola is on its way 🥤 .*Not sent/),
    ]);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(errors).toEqual([]);
  }, 40_000);

  it('shows a new text and an answer’s state on the order’s page without a reload, keeping what is being typed', async () => {
    const { page, errors } = await screen({ width: 1024, height: 768 });
    await page.getByRole('row', { name: /Hannah Hungry/ }).getByRole('link', { name: 'Hannah Hungry' }).click();
    await page.getByRole('heading', { name: /Texts with the customer/ }).waitFor();
    await page.evaluate(() => { (globalThis as unknown as { notReloaded: boolean }).notReloaded = true; });
    const field = page.getByRole('textbox', { name: /^Text Hannah Hungry/ });
    await field.fill('We will ring tw');

    await customerTexts('14127267380', 'Also: no onions please');

    const conversation = page.locator('ol.replies');
    await conversation.getByText('Also: no onions please').waitFor({ timeout: 5000 });
    expect(await page.locator('#conversation-unread').textContent()).toBe('1 unread');
    // Said to a screen reader once, not the whole list again.
    expect(await page.locator('#conversation-news').textContent()).toMatch(/^New text: \d\d:\d\d Hannah Hungry: “?Also: no onions please”? unread$/);
    expect(await page.locator('#conversation-news').getAttribute('aria-live')).toBe('polite');
    expect(await field.inputValue()).toBe('We will ring tw');
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // Sending now marks the new text read too: the form's "up to" moved on with the list.
    await field.fill('We will ring twice, and no onions.');
    await page.getByRole('button', { name: 'Send the text' }).click();
    await page.getByRole('status').filter({ hasText: /would have received: “We will ring twice, and no onions\.”|the message to Hannah Hungry is (queued|on its way)/i }).waitFor();
    expect(await page.locator('#conversation-unread').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  }, 40_000);
});
