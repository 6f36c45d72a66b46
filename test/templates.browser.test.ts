import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, signIn, startBrowserTest } from './support/browser.ts';
import type { BrowserTest } from './support/browser.ts';
import type { ServerProcess } from './support/server-process.ts';

describe.skipIf(!chromiumPath)('the Templates page in a real browser', () => {
  let browser: Browser;
  let server: ServerProcess;
  let setup: BrowserTest | undefined;

  beforeAll(async () => {
    setup = await startBrowserTest({ RESTAURANT_NAME: 'Pizza Uno' });
    ({ browser, server } = setup);
  });

  afterAll(() => setup?.close());

  it('counts parts and redraws the preview while typing, and the server counts the same on save', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    const errors: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    page.on('pageerror', (error) => errors.push(error.message));
    await signIn(page, server.url);
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('heading', { name: 'Message templates' }).waitFor();

    const editor = page.locator('#template-delayed');
    const field = editor.getByLabel('Text for delayed orders');
    const count = editor.locator('[data-count]');
    await field.fill('Sorry {name}, {restaurant} is late: about {delay}, at {eta} 🛵');
    await expect.poll(() => count.textContent()).toBe('UCS-2: 76 characters, 2 SMS parts of 67. UCS-2 because of 🛵 (U+1F6F5); without it a part holds 160 characters instead of 70.');
    expect(await editor.locator('[data-preview]').textContent()).toBe('Sorry Alexandra Richardson, Pizza Uno is late: about 20 minutes, at 19:45 🛵');

    await field.fill('Hi {nmae}');
    await expect.poll(() => editor.locator('[data-placeholder-problem]').textContent()).toBe('Not a placeholder: {nmae}.');
    await field.fill(`Hi {name}. ${'Your food is nearly ready. '.repeat(20)}`);
    await expect.poll(() => editor.locator('[data-parts-warning]').isVisible()).toBe(true);
    expect(await editor.locator('[data-placeholder-problem]').isVisible()).toBe(false);
    const typedCount = await count.textContent();

    await editor.getByRole('button', { name: 'Save the delayed text' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Saved the delayed text');
    expect(await page.locator('#template-delayed [data-count]').textContent()).toBe(typedCount);
    expect(await page.locator('#template-delayed [data-parts-warning]').isVisible()).toBe(true);

    // Every button on the page is a 44 × 44 px target.
    const small: string[] = [];
    for (const target of await page.locator('main button, main summary').all()) {
      const box = (await target.boundingBox())!;
      if (box.width < 44 || box.height < 44) small.push(`${(await target.textContent())!.trim()} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    expect(small).toEqual([]);
    expect(errors, errors.join('\n')).toEqual([]);
  }, 60_000);
});
