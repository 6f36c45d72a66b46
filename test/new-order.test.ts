import { expect, it } from 'vitest';
import { createTestLocation, describeEngines } from './support/engines.ts';
import { createTestApp, testConfig } from './support/helpers.ts';
import { runServerToExit } from './support/server-process.ts';

const validForm = { customerName: 'Ada Lovelace', phone: '06 12345678', items: '2 x Margherita\r\n\r\n 1 x Tiramisu ', note: 'no onions' };

describeEngines('GET /orders/new', (engine) => {
  it('is linked from the board and shows an empty form', async () => {
    const { signIn } = await createTestApp({ engine });
    const agent = await signIn();
    const board = await agent.get('/').expect(200);
    expect(board.text).toContain('href="/orders/new"');
    const page = await agent.get('/orders/new').expect(200);
    expect(page.text).toContain('name="customerName"');
    expect(page.text).toContain('name="items"');
  });

  it('sends a visitor without a session to the login page', async () => {
    const { anonymous } = await createTestApp({ engine });
    await anonymous().get('/orders/new').expect(303).expect('location', '/login?next=%2Forders%2Fnew');
  });
});

describeEngines('POST /orders/new', (engine) => {
  it('adds a pending order with the national number stored in E.164, items one per line', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.refreshToken('/orders/new');

    await agent.post('/orders/new').send(validForm).expect(303).expect('location', '/');

    const [order] = await orders.list();
    expect(order).toMatchObject({
      customerName: 'Ada Lovelace', phone: '+31612345678', items: '2 x Margherita\n1 x Tiramisu', note: 'no onions', status: 'pending', number: 1, externalId: null,
    });
    expect(order!.id).toMatch(/^[0-9a-f]{32}$/);
    expect(await orders.history(order!.id)).toEqual([expect.objectContaining({ status: 'pending', changedBy: 'cook' })]);
    const board = await agent.get('/').expect(200);
    expect(board.text).toContain('Order #1 for Ada Lovelace added.');
    expect(board.text).toContain('#1');
    const page = await agent.get(`/orders/${order!.id}`).expect(200);
    expect(page.text).toContain('#1 · Order for Ada Lovelace');
    expect(page.text).toContain('no onions');
  });

  it('reads national numbers of the configured DEFAULT_COUNTRY', async () => {
    const { orders, signIn } = await createTestApp({ engine, config: testConfig({ DEFAULT_COUNTRY: 'BE' }) });
    const agent = await signIn();
    await agent.refreshToken('/orders/new');
    await agent.post('/orders/new').send({ ...validForm, phone: '0470 12 34 56' }).expect(303);
    expect((await orders.list())[0]!.phone).toBe('+32470123456');
  });

  it('accepts an international number whatever the default country', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.refreshToken('/orders/new');
    await agent.post('/orders/new').send({ ...validForm, phone: '+44 7911 123456' }).expect(303);
    expect((await orders.list())[0]!.phone).toBe('+447911123456');
  });

  it('numbers the orders of a day #1, #2, #3', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.refreshToken('/orders/new');
    for (let i = 0; i < 3; i += 1) await agent.post('/orders/new').send(validForm).expect(303);
    expect((await orders.list()).map((order) => order.number)).toEqual([1, 2, 3]);
    expect(new Set((await orders.list()).map((order) => order.id)).size).toBe(3);
  });

  it.each([
    ['an invalid number', '12345', 'That is not a valid phone number.'],
    ['letters', 'call me maybe', 'That is not a valid phone number.'],
    ['a landline', '020 123 4567', 'That number cannot receive text messages (it is not a mobile number).'],
    ['a toll-free number', '0800 1234567', 'That number cannot receive text messages'],
    ['nothing', '   ', 'Enter the customer’s mobile number.'],
  ])('refuses %s with a message next to the phone field, keeps what was typed, and adds nothing', async (_case, phone, message) => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.refreshToken('/orders/new');

    const response = await agent.post('/orders/new').send({ ...validForm, phone }).expect(400);

    expect(response.text).toMatch(new RegExp(`<input id="phone"[^>]*value="${phone.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*aria-invalid="true" aria-describedby="phone-error">`));
    expect(response.text).toContain(`<small id="phone-error">${message}`);
    expect(response.text).toContain('value="Ada Lovelace"');
    expect(response.text).toContain('2 x Margherita');
    expect(await orders.count()).toBe(0);
  });

  it('names every missing field at once', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.refreshToken('/orders/new');

    const response = await agent.post('/orders/new').send({ customerName: ' ', phone: '', items: '\n \n' }).expect(400);

    expect(response.text).toContain('id="customerName-error"');
    expect(response.text).toContain('id="phone-error"');
    expect(response.text).toContain('<small id="items-error">Add at least one item.</small>');
    expect(response.text).not.toContain('id="note-error"');
    expect(await orders.count()).toBe(0);
  });

  it('refuses an over-long note and keeps it in the field', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.refreshToken('/orders/new');
    const note = 'x'.repeat(501);
    const response = await agent.post('/orders/new').send({ ...validForm, note }).expect(400);
    expect(response.text).toContain('Keep the note to 500 characters.');
    expect(response.text).toContain(`value="${note}"`);
    expect(await orders.count()).toBe(0);
  });

  it('keeps the delivery address on one line and shows it on the board and the order page', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.refreshToken('/orders/new');

    await agent.post('/orders/new').send({ ...validForm, deliveryAddress: ' Kerkstraat 12 \r\n\r\n1017 GC Amsterdam <b>' }).expect(303);

    const [order] = await orders.list();
    expect(order!.deliveryAddress).toBe('Kerkstraat 12, 1017 GC Amsterdam <b>');
    const board = (await agent.get('/').expect(200)).text;
    expect(board).toContain('<span class="address"><small>Deliver to</small> Kerkstraat 12, 1017 GC Amsterdam &lt;b&gt;</span>');
    const page = (await agent.get(`/orders/${order!.id}`).expect(200)).text;
    expect(page).toContain('<dt>Deliver to</dt><dd>Kerkstraat 12, 1017 GC Amsterdam &lt;b&gt;');
    expect(page).toContain('href="https://www.openstreetmap.org/search?query=Kerkstraat%2012%2C%201017%20GC%20Amsterdam%20%3Cb%3E"');
  });

  it('stores no address for a pick-up order, and shows none', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.refreshToken('/orders/new');

    await agent.post('/orders/new').send({ ...validForm, deliveryAddress: ' \n ' }).expect(303);

    const [order] = await orders.list();
    expect(order!.deliveryAddress).toBeNull();
    expect((await agent.get('/').expect(200)).text).not.toContain('Deliver to');
    expect((await agent.get(`/orders/${order!.id}`).expect(200)).text).not.toContain('Deliver to');
  });

  it('refuses an over-long address and keeps what was typed', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.refreshToken('/orders/new');
    const deliveryAddress = 'Kerkstraat '.repeat(28);

    const response = await agent.post('/orders/new').send({ ...validForm, deliveryAddress }).expect(400);

    expect(response.text).toContain('<small id="deliveryAddress-error">Keep the address to 300 characters.</small>');
    expect(response.text).toContain(`value="${deliveryAddress}"`);
    expect(response.text).toContain('value="Ada Lovelace"');
    expect(await orders.count()).toBe(0);
  });

  it('adds one order when the same form is sent twice', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    const page = await agent.refreshToken('/orders/new');
    const formToken = /name="formToken" value="([0-9a-f]{32})"/.exec(page.text)![1]!;

    const [first, second] = await Promise.all([
      agent.post('/orders/new').send({ ...validForm, formToken }),
      agent.post('/orders/new').send({ ...validForm, formToken }),
    ]);

    expect([first.status, second.status]).toEqual([303, 303]);
    expect(await orders.count()).toBe(1);
    const board = await agent.get('/').expect(200);
    expect(board.text).toMatch(/Order #1 for Ada Lovelace (added|was already added by this form; nothing new was added)\./);
  });

  it('keeps a changed resend of a used form for staff to confirm, with a fresh token', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    const page = await agent.refreshToken('/orders/new');
    const formToken = /name="formToken" value="([0-9a-f]{32})"/.exec(page.text)![1]!;
    await agent.post('/orders/new').send({ ...validForm, formToken }).expect(303);

    const response = await agent.post('/orders/new').send({ ...validForm, customerName: 'Grace Hopper', formToken }).expect(409);

    expect(response.text).toContain('This form was already used for order #1 (Ada Lovelace)');
    expect(response.text).toContain('value="Grace Hopper"');
    const freshToken = /name="formToken" value="([0-9a-f]{32})"/.exec(response.text)![1]!;
    expect(freshToken).not.toBe(formToken);
    expect(await orders.count()).toBe(1);
    await agent.post('/orders/new').send({ ...validForm, customerName: 'Grace Hopper', formToken: freshToken }).expect(303);
    expect((await orders.list()).map((order) => order.customerName)).toEqual(['Ada Lovelace', 'Grace Hopper']);
  });

  it('refuses a form without a CSRF token', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.agent.post('/orders/new').type('form').send(validForm).expect(403);
    expect(await orders.count()).toBe(0);
  });
});

describeEngines('DEFAULT_COUNTRY', (engine) => {
  it('stops the server at start when it is not an ISO country code, naming the variable', async () => {
    const { env } = await createTestLocation(engine);
    const { code, output } = await runServerToExit({ ...env, DEFAULT_COUNTRY: 'Holland' });
    expect(code).toBe(1);
    expect(output).toContain('DEFAULT_COUNTRY: must be a two-letter ISO country code, such as NL, BE, DE or GB');
  });
});
