import supertest from 'supertest';
import { afterEach, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { defaultTemplates } from '../src/notifications/message-templates.ts';
import { createTemplateRepository } from '../src/notifications/template-repository.ts';
import { createTestApp, FakeSmsSender, makeOrder, TestClient, testConfig } from './support/helpers.ts';
import { startServer } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { createTestLocation, describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';

const orderId = '0000000000000000000000000000000a';
const newDelayedText = 'Sorry {name}, order #{orderNumber} from {restaurant} is running late.';

/** An app on a fresh database of the engine, or on the one `database` names (DATABASE_PATH or DATABASE_URL). */
async function setup(engine: TestEngine, options: { database?: Record<string, string>; config?: Record<string, string> } = {}) {
  const sender = new FakeSmsSender();
  const config = testConfig({ ...options.config, ...options.database });
  const context = await createTestApp({ engine, sender, config });
  const admin = await context.signIn('boss', 'admin');
  await admin.refreshToken('/templates');
  return { ...context, sender, admin, templates: createTemplateRepository(context.database) };
}

const versionCount = (database: Database) => database.value<number>('SELECT count(*) FROM message_template_versions');

/** The text in one status's field, as the page shows it (EJS-escaped). */
const fieldText = (html: string, status: string) => new RegExp(`<textarea id="template-${status}-text"[^>]*>([^<]*)</textarea>`).exec(html)?.[1];

describeEngines('the Templates page', (engine) => {
  it('shows an admin the text for each status, its preview for a sample order and its SMS count', async () => {
    const { admin } = await setup(engine);
    const page = await admin.get('/templates').expect(200);

    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('<a href="/templates">Templates</a>');
    for (const status of ['pending', 'confirmed', 'delayed', 'delivered'] as const) {
      expect(fieldText(page.text, status)).toBe(defaultTemplates[status].replaceAll("'", '&#39;'));
    }
    expect(page.text).toContain('Hello, Alexandra Richardson, thanks for ordering at OmNomNom Foods! We are now preparing');
    expect(page.text).toMatch(/GSM-7: \d+ characters, 1 SMS part\./);
    expect(page.text).toContain('name “Alexandra Richardson” (20 characters), order number 123');
    expect(page.text).toContain('<script type="module" src="/templates.js"></script>');
  });

  it('is for admins only: staff get 403, no nav link, and change nothing', async () => {
    const { signIn, database } = await setup(engine);
    const cook = await signIn('cook', 'staff');
    const board = await cook.get('/').expect(200);
    expect(board.text).not.toContain('href="/templates"');
    await cook.get('/templates').expect(403);
    await cook.post('/templates/delayed').send({ text: 'Hacked {name}' }).expect(403);
    await cook.post('/templates/delayed/preview').send({ text: 'Hacked {name}' }).expect(403);
    await cook.post('/templates/delayed/restore').expect(403);
    expect(await versionCount(database)).toBe(0);
  });

  it('refuses a save without a valid CSRF token and keeps the text', async () => {
    const { admin, database } = await setup(engine);
    await admin.agent.post('/templates/delayed').type('form').send({ text: newDelayedText, _csrf: 'forged' }).expect(403);
    expect(await versionCount(database)).toBe(0);
  });

  it('answers 404 for a status that does not exist', async () => {
    const { admin } = await setup(engine);
    await admin.post('/templates/refunded').send({ text: 'Bye {name}' }).expect(404);
    await admin.post('/templates/__proto__/restore').expect(404);
  });
});

describeEngines('saving a template', (engine) => {
  it('keeps the version with who and when, and the next message uses it', async () => {
    const { admin, orders, sender, templates } = await setup(engine);
    await orders.insert(makeOrder({ id: orderId, customerName: 'Mike Madeater', status: 'delayed' }));

    const saved = await admin.post('/templates/delayed').send({ text: `  ${newDelayedText}\r\n` }).expect(303);
    expect(saved.headers.location).toBe('/templates#template-delayed');

    const page = await admin.get('/templates').expect(200);
    expect(page.text).toContain('Saved the delayed text; the next delayed message uses it.');
    expect(page.text).toContain('For a sample order: GSM-7: 75 characters, 1 SMS part.');
    expect(fieldText(page.text, 'delayed')).toBe(newDelayedText);
    const [version] = await templates.versions('delayed');
    expect(version).toMatchObject({ body: newDelayedText, savedBy: 'boss' });
    expect(Date.now() - Date.parse(version!.savedAt)).toBeLessThan(60_000);
    expect(page.text).toMatch(/<time datetime="[^"]+">\d\d:\d\d<\/time> by boss — <strong>in use<\/strong>/);

    await admin.refreshToken('/');
    await admin.post(`/orders/${orderId}/notify`).send({ status: 'delayed', expectedStatus: 'delayed' }).expect(303);
    expect(sender.sent.map((message) => message.body)).toEqual(['Sorry Mike Madeater, order #1 from OmNomNom Foods is running late.']);
  });

  it.each([
    ['an unknown placeholder', 'Hi {nmae}, your order is late.', 'Unknown placeholder {nmae}. The placeholders are {name} {status} {delay} {eta} {restaurant} {orderNumber}; braces are only for them.'],
    ['two unknown placeholders', 'Hi { name }, {ETA}', 'Unknown placeholders { name } {ETA}.'],
    ['a brace without its pair', 'Hi {name, your order is late.', 'Unknown placeholder {.'],
    ['an empty text', '', 'The text is empty'],
    ['a text of spaces and line breaks', '  \r\n \n ', 'The text is empty'],
    ['a text over 1000 characters', `{name} ${'x'.repeat(1000)}`, 'The text is 1007 characters long; at most 1000 are allowed.'],
  ])('refuses %s with 400, keeps what was typed and saves nothing', async (_name, text, message) => {
    const { admin, database, templates } = await setup(engine);
    const refused = await admin.post('/templates/delayed').send({ text }).expect(400);

    expect(refused.text).toContain(message);
    expect(refused.text).toContain('id="template-delayed-error"');
    expect(fieldText(refused.text, 'delayed')).toBe(text.trim());
    expect(await versionCount(database)).toBe(0);
    expect(await templates.textFor('delayed')).toBe(defaultTemplates.delayed);
  });

  it('keeps a long text in the field even when every character is a three-byte one', async () => {
    const { admin, database } = await setup(engine);
    const text = `{name} ${'’'.repeat(993)}`;
    await admin.post('/templates/delayed').send({ text }).expect(303);
    expect(await versionCount(database)).toBe(1);
  });

  it('warns when the text for a sample order needs more than 3 parts', async () => {
    const { admin } = await setup(engine);
    await admin.post('/templates/confirmed').send({ text: `Hello {name}! ${'Fresh pizza is coming. '.repeat(22)}` }).expect(303);
    const page = await admin.get('/templates').expect(200);
    expect(page.text).toContain('GSM-7: 533 characters, 4 SMS parts of 153.');
    expect(page.text).toContain('That is more than 3 parts: each part is billed as one message.');
    expect(page.text).toMatch(/<strong data-parts-warning>More than 3 parts/);
  });

  it('names the characters that make the text UCS-2', async () => {
    const { admin } = await setup(engine);
    await admin.post('/templates/delivered').send({ text: 'It’s on its way, {name} 🛵' }).expect(303);
    const page = await admin.get('/templates').expect(200);
    expect(page.text).toContain('UCS-2: 40 characters, 1 SMS part. UCS-2 because of ’ (U+2019), 🛵 (U+1F6F5)');
  });

  it('does not record a version when the text is unchanged', async () => {
    const { admin, database } = await setup(engine);
    await admin.post('/templates/pending').send({ text: defaultTemplates.pending }).expect(303);
    expect(await versionCount(database)).toBe(0);
    expect((await admin.get('/templates')).text).toContain('The pending text is unchanged');
  });

  it('does not change the text of messages already queued or sent', async () => {
    const { admin, orders, messages, sender } = await setup(engine);
    const waitingId = '0000000000000000000000000000000b';
    await orders.insert(makeOrder({ id: orderId, customerName: 'Mike Madeater', status: 'delayed' }));
    await orders.insert(makeOrder({ id: waitingId, customerName: 'Don Cheetos', status: 'delayed' }));
    await admin.refreshToken('/');
    await admin.post(`/orders/${orderId}/notify`).send({ status: 'delayed', expectedStatus: 'delayed' }).expect(303);
    // MessageBird is down for the second one: it stays queued for a later attempt.
    sender.next = async () => ({ kind: 'not-sent', reasons: ['connection refused'], code: undefined, statusCode: undefined });
    await admin.post(`/orders/${waitingId}/notify`).send({ status: 'delayed', expectedStatus: 'delayed' }).expect(303);
    // On a busy machine Notify's wait can end before the first attempt does: wait for it here.
    await expect.poll(async () => [(await messages.forOrder(orderId))[0]!.state, (await messages.forOrder(waitingId))[0]!.state], { timeout: 5000 }).toEqual(['sent', 'queued']);
    const sent = await messages.forOrder(orderId);
    const queued = await messages.forOrder(waitingId);

    await admin.refreshToken('/templates');
    await admin.post('/templates/delayed').send({ text: newDelayedText }).expect(303);

    // The dispatcher may retry the queued one meanwhile; what it sends is the text it was queued with.
    expect((await messages.forOrder(orderId)).map((message) => message.body)).toEqual([sent[0]!.body]);
    expect((await messages.forOrder(waitingId)).map((message) => message.body)).toEqual([queued[0]!.body]);
    expect(queued[0]!.body).toMatch(/^Hello, Don Cheetos, sometimes good things take time!/);
  });
  it('retries a message queued before the edit with the text it was queued with', async () => {
    const { admin, orders, messages, sender } = await setup(engine, { config: { SMS_RETRY_BASE_MS: '10', SMS_RETRY_MAX_MS: '20', SMS_MAX_ATTEMPTS: '50' } });
    await orders.insert(makeOrder({ id: orderId, customerName: 'Don Cheetos', status: 'delayed' }));
    let messageBirdIsUp = false;
    sender.next = async () => (messageBirdIsUp
      ? { kind: 'accepted', providerMessageId: 'mb-late' }
      : { kind: 'not-sent', reasons: ['connection refused'], code: undefined, statusCode: undefined });
    await admin.refreshToken('/');
    await admin.post(`/orders/${orderId}/notify`).send({ status: 'delayed', expectedStatus: 'delayed' }).expect(303);

    await admin.refreshToken('/templates');
    await admin.post('/templates/delayed').send({ text: newDelayedText }).expect(303);
    messageBirdIsUp = true;

    await expect.poll(async () => (await messages.forOrder(orderId))[0]!.state).toBe('sent');
    const bodies = new Set(sender.sent.map((message) => message.body));
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).toMatch(/^Hello, Don Cheetos, sometimes good things take time!/);
    expect(sender.sent.length).toBeGreaterThan(1);
  });
});

describeEngines('previewing a template', (engine) => {
  it('renders the typed text for the sample order without saving it', async () => {
    const { admin, database } = await setup(engine);
    const preview = await admin.post('/templates/delayed/preview').send({ text: 'Hi {name}, new time {eta} ({delay} late), order {orderNumber}: {status}.' }).expect(200);
    expect(preview.text).toContain('Hi Alexandra Richardson, new time 19:45 (20 minutes late), order 123: delayed.');
    expect(preview.text).toContain('Preview for the sample order (not saved yet)');
    expect(await versionCount(database)).toBe(0);
  });

  it('shows why a text could not be saved', async () => {
    const { admin } = await setup(engine);
    const preview = await admin.post('/templates/delayed/preview').send({ text: 'Hi {customer}' }).expect(400);
    expect(preview.text).toContain('Unknown placeholder {customer}.');
    expect(fieldText(preview.text, 'delayed')).toBe('Hi {customer}');
  });
});

describeEngines('restoring the guide’s text', (engine) => {
  it('makes the guide’s text current again as a new version, keeping the history', async () => {
    const { admin, templates } = await setup(engine);
    await admin.post('/templates/delayed').send({ text: newDelayedText }).expect(303);
    await admin.post('/templates/delayed/restore').expect(303).expect('location', '/templates#template-delayed');

    expect(await templates.textFor('delayed')).toBe(defaultTemplates.delayed);
    expect((await templates.versions('delayed')).map((version) => [version.body, version.savedBy])).toEqual([
      [defaultTemplates.delayed, 'boss'],
      [newDelayedText, 'boss'],
    ]);
    const page = await admin.get('/templates');
    expect(page.text).toContain('The delayed text is the guide’s text again');
    expect(page.text).toMatch(/by boss — <strong>in use<\/strong> — the guide’s text/);
  });

  it('says so when the text already is the guide’s', async () => {
    const { admin, database } = await setup(engine);
    await admin.post('/templates/pending/restore').expect(303);
    expect(await versionCount(database)).toBe(0);
    expect((await admin.get('/templates')).text).toContain('The pending text already is the guide’s text.');
  });
});

describeEngines('two apps on one database', (engine) => {
  it('sends the text saved in one from the other’s next message', async () => {
    const { env } = await createTestLocation(engine);
    const kitchen = await setup(engine, { database: env });
    const office = await setup(engine, { database: env });
    await kitchen.orders.insert(makeOrder({ id: orderId, customerName: 'Mike Madeater', status: 'confirmed' }));
    await kitchen.admin.refreshToken('/');
    // The kitchen's app has read the confirmed text once already.
    await kitchen.admin.post(`/orders/${orderId}/notify`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);

    await office.admin.post('/templates/delayed').send({ text: newDelayedText }).expect(303);
    await office.admin.post('/templates/confirmed').send({ text: 'Cooking now, {name}!' }).expect(303);

    await kitchen.admin.post(`/orders/${orderId}/resend`).send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);
    await kitchen.admin.post(`/orders/${orderId}/status`).send({ status: 'delayed', expectedStatus: 'confirmed', delayMinutes: '20' }).expect(303);
    await kitchen.admin.post(`/orders/${orderId}/notify`).send({ status: 'delayed', expectedStatus: 'delayed' }).expect(303);
    expect(kitchen.sender.sent.map((message) => message.body)).toEqual([
      expect.stringMatching(/^Hello, Mike Madeater, thanks for ordering/),
      'Cooking now, Mike Madeater!',
      expect.stringMatching(/^Sorry Mike Madeater, order #\d+ from OmNomNom Foods is running late\.$/),
    ]);
  });
});

describeEngines('two server processes on one database', (engine) => {
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
  });

  const signedIn = async (server: ServerProcess) => {
    const client = new TestClient(supertest.agent(server.url));
    await client.refreshToken('/login');
    await client.post('/login').send({ username: 'chef', password: 'kitchen-door-blue-42' }).expect(303);
    await client.refreshToken('/');
    return client;
  };

  it('sends the text saved through one process from the other’s next message', async () => {
    const location = await createTestLocation(engine);
    // No MessageBird key: the log-only sender "sends", and the message log keeps each text.
    const env = { ...location.env, ADMIN_USERNAME: 'chef', ADMIN_PASSWORD: 'kitchen-door-blue-42', MESSAGEBIRD_API_KEY: '' };
    const office = await startServer(env);
    servers.push(office);
    const kitchen = await startServer(env);
    servers.push(kitchen);
    const [officeAdmin, kitchenAdmin] = [await signedIn(office), await signedIn(kitchen)];
    // One of the sample orders, delayed.
    const mike = '1b992e39dc55f0c79dbe613b3ad02f29';
    const bodies = async () => {
      const database = await location.open();
      return (await createMessageRepository(database).forOrder(mike)).map((message) => message.body).reverse();
    };
    await kitchenAdmin.post(`/orders/${mike}/notify`).send({ status: 'delayed', expectedStatus: 'delayed' }).expect(303);

    await officeAdmin.refreshToken('/templates');
    await officeAdmin.post('/templates/delayed').send({ text: newDelayedText }).expect(303);
    await kitchenAdmin.post(`/orders/${mike}/resend`).send({ status: 'delayed', expectedStatus: 'delayed' }).expect(303);

    await officeAdmin.post('/templates/delayed/restore').expect(303);
    await kitchenAdmin.post(`/orders/${mike}/resend`).send({ status: 'delayed', expectedStatus: 'delayed' }).expect(303);

    const [before, edited, restored] = await bodies();
    expect(before).toMatch(/^Hello, Mike Madeater, sometimes good things take time!/);
    expect(edited).toMatch(/^Sorry Mike Madeater, order #\d+ from OmNomNom Foods is running late\.$/);
    expect(restored).toBe(before);
  }, 60_000);
});
