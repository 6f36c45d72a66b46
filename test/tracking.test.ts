import supertest from 'supertest';
import { expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { createTemplateRepository } from '../src/notifications/template-repository.ts';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, FakeSmsSender, makeOrder, orderIdFor, testConfig } from './support/helpers.ts';

const ada = orderIdFor('ada');
const publicUrl = 'https://orders.example.com/';
const withLink = 'Hi {name}, order #{orderNumber} is {status}. Follow it: {trackingLink}';

async function setup(engine: TestEngine, options: { publicUrl?: boolean; env?: Record<string, string> } = { publicUrl: true }) {
  const sender = new FakeSmsSender();
  const config = testConfig({ ...(options.publicUrl ? { PUBLIC_URL: publicUrl, MESSAGEBIRD_SIGNING_KEY: 'signing-key-for-tests-0123456789' } : {}), ...options.env });
  const test = await createTestApp({ engine, sender, config });
  await test.orders.insert(makeOrder({ id: ada, customerName: 'Ada Lovelace', phone: '+31611111111', items: '1 x Margherita', status: 'pending' }));
  const templates = createTemplateRepository(test.database);
  for (const status of ['confirmed', 'delayed', 'delivered'] as const) await templates.save({ status, body: withLink, savedBy: null });
  const agent = await test.signIn();
  await agent.refreshToken('/');
  return { ...test, sender, agent };
}

/** The link the customer got in the newest text. */
const linkIn = (body: string) => /https:\/\/orders\.example\.com\/t\/([A-Za-z0-9_-]{12})$/.exec(body);

describeEngines('the customer’s tracking page', (engine) => {
  it('is linked from a text whose template has {trackingLink}, the same link in every later text', async () => {
    const { agent, sender } = await setup(engine);

    await agent.post(`/orders/${ada}/status`).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);
    await agent.post(`/orders/${ada}/status`).send({ status: 'delayed', expectedStatus: 'confirmed', quickDelay: '20', text: 'on' }).expect(303);

    const [first, second] = sender.sent.map((sent) => sent.body);
    expect(first).toMatch(/^Hi Ada Lovelace, order #\d+ is confirmed\. Follow it: https:\/\/orders\.example\.com\/t\/[A-Za-z0-9_-]{12}$/);
    expect(linkIn(second!)![1]).toBe(linkIn(first!)![1]);
  });

  it('shows the customer the order’s progress and expected time, and nothing about who ordered what or where', async () => {
    const { agent, sender, app } = await setup(engine);
    await agent.post(`/orders/${ada}/status`).send({ status: 'delayed', expectedStatus: 'pending', quickDelay: '20', text: 'on' }).expect(303);
    const token = linkIn(sender.sent[0]!.body)![1];

    const page = await supertest(app).get(`/t/${token}`).expect(200);

    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-robots-tag']).toBe('noindex');
    expect(page.text).toContain('<strong>Running late</strong>');
    expect(page.text).toMatch(/Expected around <strong><time datetime="[^"]+">\d\d:\d\d<\/time><\/strong>/);
    // Read again by its script while the order is active (no timed page refresh: WCAG 2.2.1).
    expect(page.text).toContain('data-refresh-seconds="30"');
    expect(page.text).toContain('<script src="/tracking.js" defer></script>');
    expect(page.text).not.toContain('http-equiv="refresh"');
    for (const secret of ['Ada', 'Lovelace', '+31611111111', 'Margherita', ada]) expect(page.text).not.toContain(secret);
  });

  it('follows the order: on its way once delivered, and no longer read again', async () => {
    const { agent, sender, app } = await setup(engine);
    await agent.post(`/orders/${ada}/status`).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);
    const token = linkIn(sender.sent[0]!.body)![1];
    expect((await supertest(app).get(`/t/${token}`).expect(200)).text).toContain('<strong>Being prepared</strong>');

    await agent.post(`/orders/${ada}/status`).send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(303);

    const page = (await supertest(app).get(`/t/${token}`).expect(200)).text;
    expect(page).toContain('<strong>On its way</strong>');
    expect(page).not.toContain('data-refresh-seconds');
    expect(page).not.toContain('tracking.js');
  });

  it('gives the restaurant’s number to call when RESTAURANT_PHONE is set, also where the link is wrong', async () => {
    const { agent, sender, app } = await setup(engine, { publicUrl: true, env: { RESTAURANT_PHONE: '020 123 4567' } });
    await agent.post(`/orders/${ada}/status`).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);
    const token = linkIn(sender.sent[0]!.body)![1];

    for (const [address, status] of [[`/t/${token}`, 200], ['/t/AAAAAAAAAAAA', 404]] as const) {
      const page = await supertest(app).get(address).expect(status);
      expect(page.text).toContain('Questions? Call us: <a href="tel:+31201234567">+31 20 123 4567</a>');
    }
    expect(() => testConfig({ RESTAURANT_PHONE: '12' })).toThrow(/RESTAURANT_PHONE: must be a valid phone number/);
  });

  it('answers 404 with a plain page for an unknown or malformed token, never a stack or a sign-in', async () => {
    const { app } = await setup(engine);

    for (const token of ['AAAAAAAAAAAA', 'short', '../../etc', 'x'.repeat(200)]) {
      const page = await supertest(app).get(`/t/${encodeURIComponent(token)}`).expect(404);
      expect(page.text).toContain('We cannot find this order');
      expect(page.text).not.toContain('Sign in');
    }
  });

  it('leaves texts without the placeholder as they were, and makes no link for them', async () => {
    const { agent, sender, database } = await setup(engine);

    await agent.post(`/orders/${ada}/notify`).send({ status: 'pending', expectedStatus: 'pending' }).expect(303);

    expect(sender.sent[0]!.body).not.toContain('/t/');
    expect(await database.value('SELECT count(*) FROM order_tracking')).toBe(0);
  });

  it('cannot be put in a template without PUBLIC_URL: the Templates page says what to set, and keeps the text', async () => {
    const { signIn } = await setup(engine, { publicUrl: false });
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/templates');

    const refused = await admin.post('/templates/pending').send({ text: 'Follow it: {trackingLink}' }).expect(400);

    expect(refused.text).toContain('{trackingLink} needs PUBLIC_URL, the address customers reach this server at');
    expect(refused.text).toContain('>Follow it: {trackingLink}</textarea>');
  });

  it('is offered on the Templates page with PUBLIC_URL, its preview showing a link as long as a real one', async () => {
    const { signIn } = await setup(engine);
    const admin = await signIn('boss', 'admin');
    await admin.refreshToken('/templates');

    const preview = await admin.post('/templates/pending/preview').send({ text: 'Follow it: {trackingLink}' }).expect(200);

    expect(preview.text).toContain("<code>{trackingLink}</code> is the customer's own page");
    expect(preview.text).toContain('Follow it: https://orders.example.com/t/Xq3kP9vB2mWz</blockquote>');
  });

  it('is given to the shop with every order through the API (trackingUrl), the same link the texts carry; null without PUBLIC_URL', async () => {
    for (const withPublicUrl of [true, false]) {
      const { app, database, agent, sender } = await setup(engine, { publicUrl: withPublicUrl });
      const { key } = (await createApiKeyRepository(database).create({ name: 'webshop', createdBy: null }))!;
      const created = await supertest(app).post('/api/orders').set('Authorization', `Bearer ${key}`)
        .send({ externalId: 'shop-1', customer: { name: 'Grace', phone: '+31622222222' }, items: ['1 x Fries'] }).expect(201);
      if (!withPublicUrl) {
        expect(created.body.trackingUrl).toBeNull();
        continue;
      }
      expect(created.body.trackingUrl).toMatch(/^https:\/\/orders\.example\.com\/t\/[A-Za-z0-9_-]{12}$/);
      await agent.post(`/orders/${created.body.id}/status`).send({ status: 'confirmed', expectedStatus: 'pending', text: 'on' }).expect(303);
      expect(sender.sent.at(-1)!.body.endsWith(created.body.trackingUrl)).toBe(true);
      const read = await supertest(app).get(`/api/orders/${created.body.id}`).set('Authorization', `Bearer ${key}`).expect(200);
      expect(read.body.trackingUrl).toBe(created.body.trackingUrl);
    }
  });
});
