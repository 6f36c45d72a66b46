import { expect, it } from 'vitest';
import { createSettingsRepository } from '../src/settings/settings-repository.ts';
import { describeEngines, openTestDatabase } from './support/engines.ts';
import { createTestApp, makeOrder, orderIdFor } from './support/helpers.ts';

/** Which statuses the Settings page shows ticked. */
const tickedOn = (html: string) => [...html.matchAll(/name="textCustomer" value="([a-z]+)" checked>/g)].map((match) => match[1]);
/** Whether the "Text the customer" box of an order's row starts ticked. */
const boxTicked = (html: string, id: string) => new RegExp(`<tr id="order-${id}"[^]*?<input type="checkbox" name="text"( checked)?>`).exec(html)![1] !== undefined;

describeEngines('GET /settings', (engine) => {
  it('shows an admin the "Text the customer" defaults: off for pending, on for the rest out of the box', async () => {
    const { signIn } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    const page = await admin.get('/settings').expect(200).expect('cache-control', 'no-store');
    expect(tickedOn(page.text)).toEqual(['confirmed', 'delayed', 'delivered']);
    expect(page.text).toContain('name="textCustomer" value="pending">');
    expect(page.text).toContain('<a href="/settings">Settings</a>');
  });

  it('is for admins only: staff get 403 and no link to it', async () => {
    const { signIn } = await createTestApp({ engine });
    const cook = await signIn('cook');
    const response = await cook.get('/settings').expect(403);
    expect(response.text).toContain('Only an admin can do this');
    expect((await cook.get('/').expect(200)).text).not.toContain('href="/settings"');
  });

  it('sends a visitor without a session to sign in', async () => {
    const { anonymous } = await createTestApp({ engine });
    await anonymous().get('/settings').expect(303).expect('location', '/login?next=%2Fsettings');
  });
});

describeEngines('POST /settings', (engine) => {
  it('saves the defaults, and the board\'s boxes start ticked by them', async () => {
    const { signIn, orders } = await createTestApp({ engine });
    await orders.insert(makeOrder({ id: orderIdFor('pending'), status: 'pending' }));
    await orders.insert(makeOrder({ id: orderIdFor('confirmed'), status: 'confirmed' }));
    const admin = await signIn('boss', 'admin');
    const before = (await admin.get('/').expect(200)).text;
    expect([boxTicked(before, orderIdFor('pending')), boxTicked(before, orderIdFor('confirmed'))]).toEqual([false, true]);
    expect(before).toContain('data-text-defaults="confirmed delayed delivered"');

    await admin.post('/settings').send({ textCustomer: ['pending', 'delayed'] }).expect(303).expect('location', '/settings');

    const page = (await admin.get('/settings').expect(200)).text;
    expect(tickedOn(page)).toEqual(['pending', 'delayed']);
    expect(page).toContain('Saved. “Text the customer” now starts ticked for pending, delayed.');
    const after = (await admin.get('/').expect(200)).text;
    expect([boxTicked(after, orderIdFor('pending')), boxTicked(after, orderIdFor('confirmed'))]).toEqual([true, false]);
    expect(after).toContain('data-text-defaults="pending delayed"');
  });

  it('unticks every status when the form sends none', async () => {
    const { signIn } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    await admin.post('/settings').expect(303);
    expect(tickedOn((await admin.get('/settings').expect(200)).text)).toEqual([]);
  });

  it('answers 400 for a status outside the list and changes nothing', async () => {
    const { signIn } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    const response = await admin.post('/settings').send({ textCustomer: ['pending', 'eaten'] }).expect(400);
    expect(response.text).toContain('Settings not saved: Statuses are pending, confirmed, delayed, delivered, cancelled.');
    expect(tickedOn((await admin.get('/settings').expect(200)).text)).toEqual(['confirmed', 'delayed', 'delivered']);
  });

  it('refuses staff with 403 and changes nothing', async () => {
    const { signIn } = await createTestApp({ engine });
    const cook = await signIn('cook');
    await cook.post('/settings').send({ textCustomer: 'pending' }).expect(403);
    const admin = await signIn('boss', 'admin');
    expect(tickedOn((await admin.get('/settings').expect(200)).text)).toEqual(['confirmed', 'delayed', 'delivered']);
  });

  it('refuses a form without the CSRF token with 403 and changes nothing', async () => {
    const { signIn } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    await admin.agent.post('/settings').type('form').send({ textCustomer: 'pending' }).expect(403);
    expect(tickedOn((await admin.get('/settings').expect(200)).text)).toEqual(['confirmed', 'delayed', 'delivered']);
  });
});

describeEngines('the board\'s "Text the customer" defaults', (engine) => {
  it('reach another instance on the same database within a second, and its own change at once', async () => {
    const database = await openTestDatabase(engine);
    let clock = 1_000_000;
    const here = createSettingsRepository(database, { now: () => clock });
    const there = createSettingsRepository(database);
    expect([...await here.recentTextDefaults()]).toEqual(['confirmed', 'delayed', 'delivered']);

    await there.setTextDefaults(new Set(['pending']));
    clock += 999;
    expect([...await here.recentTextDefaults()]).toEqual(['confirmed', 'delayed', 'delivered']);
    clock += 1;
    expect([...await here.recentTextDefaults()]).toEqual(['pending']);

    await here.setTextDefaults(new Set(['delayed']));
    expect([...await here.recentTextDefaults()]).toEqual(['delayed']);
  });
});
