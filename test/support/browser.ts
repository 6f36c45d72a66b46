import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { FakeMessageBird } from './fake-messagebird.ts';
import { startServer } from './server-process.ts';
import type { ServerProcess } from './server-process.ts';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The system Chromium, if this machine has one; playwright-core never downloads its own. */
export const chromiumPath = candidates.find((path): path is string => Boolean(path) && existsSync(path!));

if (!chromiumPath) {
  const message = 'Browser tests: no Chromium found (set CHROMIUM_PATH or install chromium).';
  if (process.env.CI === 'true') throw new Error(`${message} CI needs one.`);
  console.warn(`${message} Skipping them.`);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // This machine's network is closed: keep Chromium from calling home at start-up.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A screen of its own (own cookies and storage), signed in to `url`, with the page's console errors
 * and uncaught exceptions collected in `errors`.
 */
export async function openScreen(browser: Browser, url: string, viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.newContext({ viewport })).newPage();
  const errors: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(String(error)));
  await signIn(page, url);
  return { page, errors };
}

/** Signs in on the login page the server redirects to, as the admin the test server was started with. */
export async function signIn(page: Page, url: string, username = 'chef', password = 'kitchen-door-blue-42') {
  await page.goto(url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Orders' }).waitFor();
}

/**
 * What a browser test file runs against: a real server on a fresh database file (admin chef, the
 * password signIn uses), a browser, and with `fakeMessageBird` a fake MessageBird the server's SDK
 * reaches. `prepare` fills the database before the server starts. close() stops all of it.
 */
export async function startBrowserTest(env: Record<string, string> = {}, options: { fakeMessageBird?: boolean; prepare?: (databasePath: string) => Promise<void> } = {}) {
  const folder = mkdtempSync(join(tmpdir(), 'order-desk-browser-'));
  const databasePath = join(folder, 'orders.db');
  await options.prepare?.(databasePath);
  const fake = options.fakeMessageBird ? new FakeMessageBird() : undefined;
  await fake?.start();
  const [server, browser]: [ServerProcess, Browser] = await Promise.all([
    startServer(
      { DATABASE_PATH: databasePath, ADMIN_USERNAME: 'chef', ADMIN_PASSWORD: 'kitchen-door-blue-42', ...(fake ? { MESSAGEBIRD_API_KEY: 'test_browserkey' } : {}), ...env },
      fake ? { fakeMessageBird: fake.url } : {},
    ),
    launchBrowser(),
  ]);
  return {
    folder, databasePath, server, browser, fake: fake!,
    async close() {
      await browser.close();
      await server.stop();
      await fake?.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

export type BrowserTest = Awaited<ReturnType<typeof startBrowserTest>>;
