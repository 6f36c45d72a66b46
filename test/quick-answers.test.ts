import { expect, it } from 'vitest';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { createTestApp, makeOrder, orderIdFor, testConfig } from './support/helpers.ts';

const ada = orderIdFor('ada');

async function setup(engine: TestEngine, env: Record<string, string> = {}) {
  const test = await createTestApp({ engine, config: testConfig(env) });
  await test.orders.insert(makeOrder({ id: ada, customerName: 'Ada Lovelace', phone: '+31611111111' }));
  const admin = await test.signIn('boss', 'admin');
  await admin.refreshToken('/templates');
  return { ...test, admin };
}

/** The quick answers an order's page offers, in order. */
async function offered(client: Awaited<ReturnType<typeof setup>>['admin']) {
  const page = (await client.get(`/orders/${ada}`).expect(200)).text;
  return [...page.matchAll(/<button type="button" class="outline secondary" data-quick-answer>([^<]*)<\/button>/g)].map((match) => match[1]);
}

const field = (html: string) => /<textarea id="quick-answers-text" name="answers"[^>]*>([^<]*)<\/textarea>/.exec(html)![1];

describeEngines('quick answers', (engine) => {
  it('start with four an admin can rewrite, offered on every order’s page (shown by its script)', async () => {
    const { admin } = await setup(engine);

    expect(field((await admin.get('/templates').expect(200)).text)).toBe('Thank you, noted!\nYour order is on its way.\nSorry for the wait: your order is coming as soon as we can.\nPlease give us a call about this, we are happy to help.');
    expect(await offered(admin)).toEqual(['Thank you, noted!', 'Your order is on its way.', 'Sorry for the wait: your order is coming as soon as we can.', 'Please give us a call about this, we are happy to help.']);
    expect((await admin.get(`/orders/${ada}`).expect(200)).text).toContain('<p class="quick-answers" hidden><small>Quick answers</small>');
  });

  it('are saved in the order typed, trimmed, blank lines left out, and offered from then on', async () => {
    const { admin } = await setup(engine);

    await admin.post('/templates/quick-answers').send({ answers: '  Bedankt, genoteerd!  \r\n\r\nWe bellen u zo.\n' }).expect(303).expect('location', '/templates#quick-answers');

    expect((await admin.get('/templates').expect(200)).text).toContain('Saved 2 quick answers; an order’s page offers them from now on.');
    expect(await offered(admin)).toEqual(['Bedankt, genoteerd!', 'We bellen u zo.']);
    await admin.refreshToken('/templates');
    await admin.post('/templates/quick-answers').send({ answers: 'Bedankt, genoteerd!\nWe bellen u zo.' }).expect(303);
    expect((await admin.get('/templates').expect(200)).text).toContain('The quick answers are unchanged.');
  });

  it('can be emptied: the order’s page then offers none', async () => {
    const { admin } = await setup(engine);

    await admin.post('/templates/quick-answers').send({ answers: '' }).expect(303);

    expect(await offered(admin)).toEqual([]);
    expect((await admin.get(`/orders/${ada}`).expect(200)).text).not.toContain('quick-answers');
  });

  it('refuses more than ten, or one over 160 characters, with 400, keeping what was typed and changing nothing', async () => {
    const { admin } = await setup(engine);
    const before = await offered(admin);
    const eleven = Array.from({ length: 11 }, (_, index) => `Answer ${index + 1}`).join('\n');

    const tooMany = await admin.post('/templates/quick-answers').send({ answers: eleven }).expect(400);
    expect(tooMany.text).toContain('Quick answers not saved: at most 10 answers (this list has 11).');
    expect(field(tooMany.text)).toBe(eleven);
    const long = `Fine\n${'x'.repeat(161)}`;
    const tooLong = await admin.post('/templates/quick-answers').send({ answers: long }).expect(400);
    expect(tooLong.text).toContain('Quick answers not saved: answer 2 has 161 characters; keep each to 160, one text message.');
    expect(field(tooLong.text)).toBe(long);

    expect(await offered(admin)).toEqual(before);
  });

  it('are edited by admins only', async () => {
    const { signIn } = await setup(engine);
    const cook = await signIn('cook');
    await cook.refreshToken('/');

    await cook.post('/templates/quick-answers').send({ answers: 'Hacked' }).expect(403);

    expect(await offered(cook)).not.toContain('Hacked');
  });

  it('fill in the texts’ placeholders for the order: “where is my order?” answered with its tracking link', async () => {
    const { admin, database } = await setup(engine, { PUBLIC_URL: 'https://orders.example.com', MESSAGEBIRD_SIGNING_KEY: 'signing-key-for-tests-0123456789' });

    await admin.post('/templates/quick-answers').send({ answers: 'Hi {name}, you can follow order #{orderNumber} here: {trackingLink}' }).expect(303);

    const [answer] = await offered(admin);
    const token = await database.value<string>('SELECT token FROM order_tracking WHERE order_id = ?', [ada]);
    expect(answer).toBe(`Hi Ada Lovelace, you can follow order #1 here: https://orders.example.com/t/${token}`);
  });

  it('refuse a placeholder the texts do not have, and {trackingLink} without PUBLIC_URL, naming the answer', async () => {
    const { admin } = await setup(engine);

    const unknown = await admin.post('/templates/quick-answers').send({ answers: 'Fine\nHi {nmae}!' }).expect(400);
    expect(unknown.text).toContain('Quick answers not saved: answer 2: Unknown placeholder {nmae}.');
    const link = await admin.post('/templates/quick-answers').send({ answers: 'Follow it: {trackingLink}' }).expect(400);
    expect(link.text).toContain('Quick answers not saved: answer 1: {trackingLink} needs PUBLIC_URL');
  });
});
