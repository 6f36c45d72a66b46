import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

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

/** Signs in on the login page the server redirects to, as the admin the test server was started with. */
export async function signIn(page: Page, url: string, username = 'chef', password = 'kitchen-door-blue-42') {
  await page.goto(url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Orders' }).waitFor();
}
