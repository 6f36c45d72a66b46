import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, signIn, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import { FakeMessageBird } from './support/fake-messagebird.ts';
import { signWebhook } from './support/messagebird-signature.ts';
import type { ServerProcess } from './support/server-process.ts';

const signingKey = 'browser-test-signing-key';
const publicUrl = 'https://desk.example';

describe.skipIf(!chromiumPath)('a customer message in a real browser', () => {
  let browser: Browser;
  let server: ServerProcess;
  let fake: FakeMessageBird;
  let setup: BrowserTest | undefined;

  beforeAll(async () => {
    setup = await startBrowserTest(
      { MESSAGEBIRD_SIGNING_KEY: signingKey, PUBLIC_URL: publicUrl, NOTIFY_WAIT_MS: '1000', SMS_RETRY_BASE_MS: '2000' },
      { fakeMessageBird: true },
    );
    ({ browser, server, fake } = setup);
  });

  afterAll(() => setup?.close());

  it('goes from queued to sent to delivered on the board', async () => {
    // MessageBird is down for the first try (and says so), then slow.
    fake.reply({ status: 503, body: { errors: [{ code: 7, description: 'Service unavailable' }] } }, { status: 201, body: { id: 'mb-browser' }, delayMs: 500 });
    const page = await browser.newPage();
    await signIn(page, server.url);
    const row = page.getByRole('row', { name: /Mike Madeater/ });

    await row.getByRole('button', { name: /Notify customer/ }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/Not sent yet to Mike Madeater; Order Desk will try again at \d\d:\d\d/);
    expect(await row.locator('.message-state').textContent()).toMatch(/Queued|Sending/);

    // The board updates itself: no reload.
    await expect.poll(() => row.locator('.message-state').textContent(), { timeout: 15_000 }).toMatch(/Sent\s+\d\d:\d\d/);
    expect(fake.sends()).toHaveLength(2);
    const reference = fake.sends()[1]!.body.reference as string;

    const target = `/webhooks/messagebird/status?${new URLSearchParams({ id: 'mb-browser', reference, recipient: '319876543211', status: 'delivered', statusDatetime: new Date().toISOString() })}`;
    const report = await fetch(`${server.url}${target}`, { headers: { 'MessageBird-Signature-JWT': await signWebhook(`${publicUrl}${target}`, signingKey) } });
    expect(report.status).toBe(200);

    await expect.poll(() => row.locator('.message-state').textContent(), { timeout: 15_000 }).toMatch(/Delivered\s+\d\d:\d\d/);

    // Notify again for the same status sends nothing and offers "Send again".
    await row.getByRole('button', { name: /Notify customer/ }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('was already texted');
    expect(fake.sends()).toHaveLength(2);
    await expect(row.getByRole('button', { name: /Send again/ }).count()).resolves.toBe(1);

    // The order page has the full message log.
    await page.getByRole('link', { name: 'Mike Madeater' }).click();
    await expect.poll(() => page.locator('table.messages').textContent()).toMatch(/chef\s*delayed[\s\S]*Delivered/);
  });
});
