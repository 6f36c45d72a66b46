import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchBrowser, signIn, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import { createTestApp, makeOrder } from './support/helpers.ts';
import { kitchenBoardTrackingToken, seedKitchenBoard } from './support/kitchen-board.ts';
import { openSqlite } from '../src/db/sqlite.ts';
import { createReplyRepository } from '../src/notifications/reply-repository.ts';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { createWebhookRepository } from '../src/webhooks/webhook-repository.ts';
import { createIntakePauseRepository } from '../src/orders/intake-pauses.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import type { ServerProcess } from './support/server-process.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const phone = { width: 390, height: 844 };
const tablet = { width: 1024, height: 768 };
const portraitTablet = { width: 768, height: 1024 };
const desktop = { width: 1440, height: 900 };

type Violation = { id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> };

/** axe-core's serious and critical findings on the page (WCAG 2.0–2.2 A and AA, and best practice). */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the debugging protocol, so the page's own CSP (script-src 'self') still holds.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(`axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] })
    .then((result) => result.violations)`) as Violation[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.help}) at ${violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(', ')}${violation.nodes.length > 3 ? ` and ${violation.nodes.length - 3} more` : ''}`);
}

function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>;
}

/** How far the board's table reaches past its own scroll box: columns a tablet would only see by scrolling it sideways. */
function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(`(() => { const box = document.querySelector('#board').closest('.overflow-auto'); return box.scrollWidth - box.clientWidth; })()`) as Promise<number>;
}

describe.skipIf(!chromiumPath)('the kitchen board\'s layout, contrast and focus in a real browser', () => {
  let browser: Browser;
  let server: ServerProcess;
  let setup: BrowserTest | undefined;
  let orderIds: string[];
  let signedIn: BrowserContextOptions['storageState'];

  const open = async (options: BrowserContextOptions, path: string, signedInToo = true) => {
    const context = await browser.newContext({ ...options, ...(signedInToo ? { storageState: signedIn } : {}) });
    const page = await context.newPage();
    await page.goto(server.url + path);
    return page;
  };

  beforeAll(async () => {
    // 60 active orders in every status, the oldest late, latest messages in every state.
    setup = await startBrowserTest({}, { prepare: async (databasePath) => { orderIds = await seedKitchenBoard(databasePath, { orders: 60 }); } });
    ({ browser, server } = setup);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.url);
    signedIn = await context.storageState();
    await context.close();
  });

  afterAll(() => setup?.close());

  it('has no serious or critical axe findings and no page wider than the screen, on every page, light and dark, phone and desktop', async () => {
    // The twelfth customer texts back: a note in their row, the counts' link, a line on the Replies
    // page (marked read at the end: the layout tests below measure the board without it).
    const database = openSqlite(setup!.databasePath);
    const replies = createReplyRepository(database);
    await replies.receive({ phone: '+31612340011', body: 'Please ring twice, the bell is broken', providerMessageId: 'kitchen-ui-reply' });
    // An order for a later day: the counts' link to it and the Later page's row (taken off the
    // board's day at the end, as the layout tests below measure the board without it).
    const preOrder = makeOrder({ customerName: 'Pre Order', deliveryAddress: 'Kerkstraat 12', scheduledFor: new Date(Date.now() + 3 * 86_400_000).toISOString() });
    await createOrderRepository(database).insert(preOrder);
    // A shop's key that sends status updates: the API keys page's address form, buttons and list.
    const { apiKey } = (await createApiKeyRepository(database).create({ name: 'webshop', createdBy: null }))!;
    const webhooks = createWebhookRepository(database);
    await webhooks.setUrl(apiKey.id, 'http://127.0.0.1:9/hooks/order-desk');
    await webhooks.sendTest(apiKey.id, 'webshop');
    // The online orders paused: the counts' red link, and the Online orders page's state and history
    // (opened again at the end, as the layout tests below measure the board without it).
    const intake = createIntakePauseRepository(database);
    await intake.pause(30, null);
    const pages = ['/', `/orders/${orderIds[3]}`, `/orders/${orderIds[11]}`, '/orders/new', `/orders/${orderIds[0]}/edit`, '/done', '/later', '/messages', '/replies', '/staff', '/account', '/api-keys', '/templates', '/settings', '/intake', '/no-such-page'];
    const findings: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const viewport of [phone, desktop]) {
        const login = await open({ colorScheme, viewport }, '/login', false);
        // The customer's tracking page, as a customer opens it: signed out.
        const tracking = await open({ colorScheme, viewport }, `/t/${kitchenBoardTrackingToken}`, false);
        const visits: Array<[string, Page]> = [['/login', login], ['/t/…', tracking]];
        const page = await open({ colorScheme, viewport }, '/');
        for (const path of pages) {
          if (path !== '/') await page.goto(server.url + path);
          // The first 12 rows hold every status and message state (and are late), the last 12 are not
          // late; the 36 between repeat their markup and would only multiply axe's time.
          if (path === '/') await page.evaluate(`document.querySelectorAll('#active-orders tr:nth-child(n+13):nth-child(-n+48)').forEach((row) => row.remove())`);
          for (const finding of await seriousViolations(page)) findings.push(`${colorScheme} ${viewport.width}px ${path}: ${finding}`);
          const overflow = await horizontalOverflow(page);
          if (overflow > 0) findings.push(`${colorScheme} ${viewport.width}px ${path}: ${overflow} px wider than the screen`);
        }
        for (const [path, visited] of visits) {
          for (const finding of await seriousViolations(visited)) findings.push(`${colorScheme} ${viewport.width}px ${path}: ${finding}`);
          if (await horizontalOverflow(visited) > 0) findings.push(`${colorScheme} ${viewport.width}px ${path}: wider than the screen`);
        }
        await login.context().close();
        await tracking.context().close();
        await page.context().close();
      }
    }
    await intake.resume(null);
    await database.run('UPDATE customer_replies SET read_at = ?', [new Date().toISOString()]);
    await database.run("UPDATE orders SET status = 'delivered', updated_at = ? WHERE id = ?", [new Date(Date.now() - 86_400_000).toISOString(), preOrder.id]);
    await database.close();
    expect(findings).toEqual([]);
  }, 180_000);

  it('on a phone shows the first order as a card with its status and Update on screen, nothing off to the side', async () => {
    const page = await open({ viewport: phone }, '/');
    const first = page.locator('#active-orders tr').first();
    expect(await horizontalOverflow(page)).toBe(0);
    for (const part of [first.locator('th + td > b'), first.getByRole('button', { name: 'Update' }), first.getByRole('button', { name: 'Notify customer' })]) {
      const box = (await part.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(phone.width);
      expect(box.y + box.height).toBeLessThanOrEqual(phone.height);
    }
    await page.context().close();
  });

  it('on a phone and a tablet keeps the header to one line, and on a phone the Done view’s search box readable, with the day before one tap away', async () => {
    const page = await open({ viewport: phone }, '/done');
    const header = (await page.locator('body > header').boundingBox())!;
    expect(header.height).toBeLessThanOrEqual(100);
    // Every link of the header is still there, in a strip that scrolls sideways inside the header.
    const signOut = page.getByRole('button', { name: 'Sign out' });
    await signOut.scrollIntoViewIfNeeded();
    expect((await signOut.boundingBox())!.x + (await signOut.boundingBox())!.width).toBeLessThanOrEqual(phone.width);
    expect(await horizontalOverflow(page)).toBe(0);
    expect((await page.getByRole('searchbox').boundingBox())!.width).toBeGreaterThanOrEqual(250);
    // On a tablet on its side all of an admin's header fits on its one line, Sign out included.
    const onTablet = await open({ viewport: tablet }, '/');
    expect((await onTablet.locator('body > header').boundingBox())!.height).toBeLessThanOrEqual(100);
    const tabletSignOut = (await onTablet.getByRole('button', { name: 'Sign out' }).boundingBox())!;
    expect(tabletSignOut.x + tabletSignOut.width).toBeLessThanOrEqual(tablet.width);
    expect(await onTablet.getByRole('link', { name: /^Signed in as / }).count()).toBe(1);
    await onTablet.context().close();
    await page.getByRole('link', { name: '← Day before' }).click();
    await page.waitForURL(/day=\d{4}-\d{2}-\d{2}/);
    expect(await page.getByRole('link', { name: 'Day after →' }).count()).toBe(1);
    await page.context().close();
  });

  it('prints an order’s page as a slip: number, customer, address and items, nothing else', async () => {
    const page = await open({ viewport: tablet }, `/orders/${orderIds[0]}`);
    await page.evaluate('window.printed = 0; window.print = () => { window.printed += 1; }');
    await page.getByRole('button', { name: 'Print slip' }).click();
    expect(await page.evaluate('window.printed')).toBe(1);

    await page.emulateMedia({ media: 'print' });
    for (const shown of [page.getByRole('heading', { name: /^#1 · Order for Mike Madeater 1$/ }), page.getByText('+31612340000'), page.getByText('Eerste Constantijn Huygensstraat 1, 1017 GC Amsterdam'), page.getByText('Ring twice'), page.getByText('1 x Chef Special Mozzarella Pizza')]) {
      expect(await shown.isVisible(), await shown.evaluate((element) => element.outerHTML)).toBe(true);
    }
    for (const hidden of [page.locator('body > header'), page.getByRole('link', { name: 'Open in a map' }), page.getByRole('button', { name: 'Print slip' }), page.getByRole('link', { name: 'Correct this order' }), page.getByRole('heading', { name: 'Status history' }), page.getByRole('heading', { name: 'Messages to the customer' }), page.getByRole('button', { name: 'Stop texting this number' })]) {
      expect(await hidden.isVisible()).toBe(false);
    }
    await page.context().close();

    // Without the script there is no button that does nothing: the browser's own Print gives the slip.
    const plain = await open({ viewport: tablet, javaScriptEnabled: false }, `/orders/${orderIds[0]}`);
    expect(await plain.getByRole('button', { name: 'Print slip' }).isVisible()).toBe(false);
    await plain.context().close();
  });

  it('on a tablet, upright or on its side, shows each order as a card, two whole ones side by side with every part on screen', async () => {
    for (const viewport of [portraitTablet, tablet]) {
      const page = await open({ viewport }, '/');
      expect(await horizontalOverflow(page)).toBe(0);
      expect(await sidewaysScroll(page)).toBe(0);
      const [first, second] = [page.locator('#active-orders tr').nth(0), page.locator('#active-orders tr').nth(1)];
      const firstBox = (await first.boundingBox())!;
      const secondBox = (await second.boundingBox())!;
      expect(secondBox.y, `${viewport.width} px`).toBe(firstBox.y);
      expect(secondBox.x).toBeGreaterThan(firstBox.x + firstBox.width);
      for (const row of [first, second]) {
        const parts = [row, row.locator('th + td > b'), row.getByRole('combobox'), row.getByText('Text the customer'), row.getByRole('button', { name: 'Update' }), row.getByRole('button', { name: 'Notify customer' }), row.locator('.message-state')];
        for (const part of parts) {
          const box = (await part.boundingBox())!;
          expect(box.x).toBeGreaterThanOrEqual(0);
          expect(box.x + box.width, `${viewport.width} px`).toBeLessThanOrEqual(viewport.width);
          expect(box.y + box.height, `${viewport.width} px`).toBeLessThanOrEqual(viewport.height);
        }
      }
      await page.context().close();
    }
  });

  it('on a desktop shows four whole rows or more, each two controls high, with no column scrolled out of sight', async () => {
    const page = await open({ viewport: desktop }, '/');
    expect(await sidewaysScroll(page)).toBe(0);
    const whole = await page.evaluate(`[...document.querySelectorAll('#active-orders tr')].filter((row) => row.getBoundingClientRect().bottom <= ${desktop.height}).length`);
    expect(whole).toBeGreaterThanOrEqual(4);
    // The status list and its box on one line; Update, Notify and Send again on the next.
    const first = page.locator('#active-orders tr').first();
    const [list, update, notify, again] = await Promise.all([first.getByRole('combobox'), first.getByRole('button', { name: 'Update' }), first.getByRole('button', { name: 'Notify customer' }), first.getByRole('button', { name: 'Send again' })].map((part) => part.boundingBox()));
    expect(update!.y).toBeGreaterThanOrEqual(list!.y + list!.height);
    expect([notify!.y, again!.y]).toEqual([update!.y, update!.y]);
    await page.context().close();
  });

  it('gives the items the width: at 1440 px an item line stays on one line, at 1280 px the column is 12rem wide and nothing scrolls sideways', async () => {
    // The lines of the first row's first item ("1 x Chef Special Mozzarella Pizza"), as laid out.
    const itemLines = `(() => { const cell = document.querySelector('#active-orders tr > td:nth-child(3)'); const range = document.createRange();
      const text = cell.firstChild; range.setStart(text, 0); range.setEnd(text, text.textContent.indexOf('\\n')); return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size; })()`;
    const wide = await open({ viewport: desktop }, '/');
    expect(await wide.evaluate(itemLines)).toBe(1);
    await wide.context().close();
    const narrow = await open({ viewport: { width: 1280, height: 800 } }, '/');
    expect(await sidewaysScroll(narrow)).toBe(0);
    expect(await narrow.evaluate("document.querySelector('#active-orders tr > td:nth-child(3)').getBoundingClientRect().width")).toBeGreaterThanOrEqual(192);
    await narrow.context().close();
  });

  it('on a tablet gives every button, list and link in a row a target of at least 44 × 44 px', async () => {
    const page = await open({ viewport: tablet }, '/');
    const targets = await page.locator('#active-orders tr:nth-child(-n+10)').locator('a, button, select').all();
    expect(targets.length).toBeGreaterThanOrEqual(40);
    const small: string[] = [];
    for (const target of targets) {
      const box = (await target.boundingBox())!;
      if (box.width < 44 || box.height < 44) small.push(`${(await target.textContent())!.trim().slice(0, 20)} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    expect(small).toEqual([]);
    await page.context().close();
  });

  it('after Update on the last of 60 orders, comes back to that row, focused and on screen, and the flash names the customer', async () => {
    const page = await open({ viewport: tablet }, '/');
    const id = orderIds.at(-1)!;
    const row = page.locator(`#order-${id}`);
    const name = (await row.locator('th a').first().textContent())!;
    await row.getByRole('combobox').selectOption('delayed');
    await row.getByRole('button', { name: '+20 min' }).click();

    await page.waitForURL(`${server.url}/#order-${id}`);
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe(`order-${id}`);
    const box = (await row.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(tablet.height);
    const flash = page.getByRole('status').filter({ hasText: name });
    expect(await flash.textContent()).toContain(`${name}'s order is now delayed (20 minutes late, expected around`);
    const flashBox = (await flash.boundingBox())!;
    expect(flashBox.y).toBeGreaterThanOrEqual(0);
    await page.context().close();
  });

  it('offers a skip link to the orders as the first stop of the keyboard', async () => {
    const page = await open({ viewport: desktop }, '/');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to the orders');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('board');
    await page.context().close();
  });
});

describe.skipIf(!chromiumPath)('a board whose session ends', () => {
  it('says so with a banner that signs in and comes back, and a change pressed meanwhile is named, not lost silently', async () => {
    // In-process, to check the session every 100 ms instead of every 20 s.
    const { app, orders, addAccount } = await createTestApp({ heartbeatMs: 100 });
    await addAccount('chef', 'staff', 'kitchen-door-blue-42');
    const id = '0000000000000000000000000000000c';
    await orders.insert(makeOrder({ id, customerName: 'Mike Madeater', status: 'pending' }));
    const server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      const board = await context.newPage();
      await signIn(board, url);
      const banner = board.getByRole('alert').filter({ hasText: 'You were signed out' });
      expect(await banner.isVisible()).toBe(false);

      // Signed out in another tab of the same browser.
      const other = await context.newPage();
      await other.goto(url);
      await other.getByRole('button', { name: 'Sign out' }).click();
      await banner.waitFor();
      expect(await banner.textContent()).toContain('You were signed out — sign in again');
      expect(await banner.getByRole('link', { name: 'sign in again' }).getAttribute('href')).toBe('/login?next=%2F');

      // The choice made on the stale board is not saved, and sign-in says so on the way back.
      const row = board.locator(`#order-${id}`);
      await row.getByRole('combobox').selectOption('delayed');
      await row.getByRole('button', { name: 'Update' }).click();
      await board.getByText('your last change on the board was not saved').waitFor();
      expect((await orders.findById(id))!.status).toBe('pending');
      await board.getByLabel('Username').fill('chef');
      await board.getByLabel('Password').fill('kitchen-door-blue-42');
      await board.getByRole('button', { name: 'Sign in' }).click();
      await board.waitForURL(`${url}/#order-${id}`);
      expect(await board.getByRole('alert').textContent()).toContain('Mike Madeater\'s order was not changed to delayed');
      await context.close();
    } finally {
      await browser.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
