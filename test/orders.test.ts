import { expect, it } from 'vitest';
import { describeEngines } from './support/engines.ts';
import { createTestApp, makeOrder, testConfig } from './support/helpers.ts';

describeEngines('GET /', (engine) => {
  it('lists the active orders with name, phone, items and status', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '000000000000000000000000000000a1', customerName: 'Mike Madeater', phone: '+319876543211', items: '1 x Pizza', status: 'delayed' }));
    await orders.insert(makeOrder({ id: '000000000000000000000000000000b2', customerName: 'Don Cheetos', status: 'confirmed' }));

    const response = await agent.get('/').expect(200);

    expect(response.text).toContain('Mike Madeater');
    expect(response.text).toContain('+319876543211');
    expect(response.text).toContain('1 x Pizza');
    expect(response.text).toMatch(/<option selected>delayed/);
    expect(response.text).toContain('action="/orders/000000000000000000000000000000a1/status"');
    expect(response.text).toContain('formaction="/orders/000000000000000000000000000000b2/notify"');
  });

  it('escapes HTML in every field', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ customerName: '<script>alert(1)</script>', phone: '<b>+1</b>', items: '<img src=x onerror=alert(1)>' }));

    const response = await agent.get('/').expect(200);

    expect(response.text).not.toContain('<script>alert(1)</script>');
    expect(response.text).not.toContain('<img src=x');
    expect(response.text).not.toContain('<b>+1</b>');
    expect(response.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it.each(['../../staff/4/disable?x=', 'x"><script>1</script>', 'C2972B5B4EEF349FB1E5CC3E3150A2B6', 'c2972b5b4eef349fb1e5cc3e3150a2b', ''])(
    'refuses to store an order whose id %j is not 32 lowercase hex digits', async (id) => {
      const { orders } = await createTestApp({ engine });
      await expect(orders.insert(makeOrder({ id }))).rejects.toThrow(/must be 32 lowercase hexadecimal digits/);
      expect(await orders.count()).toBe(0);
    },
  );

  it('puts every id into its URLs encoded, so even an id from an older database cannot redirect a form', async () => {
    const { database, orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    const hostileId = '../../staff/4/disable?x=';
    await database.run(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at)
      VALUES (?, 'Mallory', '+10000000000', 'x', 'pending', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`, [hostileId]);
    await orders.insert(makeOrder());
    const board = (await agent.get('/').expect(200)).text;
    const targets = [...board.matchAll(/(?:action|href)="(\/orders\/[^"]*)"/g)].map((match) => match[1]!);
    expect(targets.length).toBeGreaterThanOrEqual(6);
    // One segment for the id (never a dot segment), then at most the action.
    for (const target of targets) expect(target).toMatch(/^\/orders\/(?!\.\.?\/)[^/?#]+(\/(status|notify|resend))?$/);
    expect(board).toContain(`action="/orders/${encodeURIComponent(hostileId)}/status"`);
  });

  it.each(['order-1', 'C2972B5B4EEF349FB1E5CC3E3150A2B6', '../x'])('answers 404 for the malformed order id %j, even if an older database holds it', async (id) => {
    const { database, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await database.run(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at)
      VALUES (?, 'Mallory', '+10000000000', 'x', 'pending', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`, [id]);
    const response = await agent.get(`/orders/${encodeURIComponent(id)}`).expect(404);
    expect(response.text).toContain('There is no order with that id.');
    await agent.post(`/orders/${encodeURIComponent(id)}/status`).send({ status: 'delivered' }).expect(404);
  });

  it('serves a strict Content-Security-Policy without inline script or style', async () => {
    const { signIn } = await createTestApp({ engine });
    const agent = await signIn();
    const response = await agent.get('/').expect(200);
    const csp = response.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('serves its stylesheets itself, with no CDN', async () => {
    const { signIn } = await createTestApp({ engine });
    const agent = await signIn();
    const page = await agent.get('/').expect(200);
    const stylesheets = [...page.text.matchAll(/href="([^"]+\.css)"/g)].map((match) => match[1]!);
    expect(stylesheets.length).toBeGreaterThan(0);
    for (const href of stylesheets) {
      expect(href.startsWith('/')).toBe(true);
      await agent.get(href).expect(200).expect('content-type', /css/);
    }
  });
});

describeEngines('POST /orders/:orderId/status', (engine) => {
  it('changes the status, records when, and redirects back to the order\'s row on the board with a flash', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001', customerName: 'Mike Madeater', status: 'delayed' }));

    await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'confirmed', expectedStatus: 'delayed' }).expect(303).expect('location', '/#order-00000000000000000000000000000001');

    expect((await orders.findById('00000000000000000000000000000001'))!.status).toBe('confirmed');
    expect((await orders.history('00000000000000000000000000000001')).map((change) => change.status)).toEqual(['delayed', 'confirmed']);
    const board = await agent.get('/').expect(200);
    expect(board.text).toMatch(/role="status"[^>]*>\s*<p>Mike Madeater&#39;s order is now confirmed\.<\/p>/);
    const again = await agent.get('/').expect(200);
    expect(again.text).not.toContain('is now confirmed');
  });

  it('answers 400 with a clear message for a status outside the list, and changes nothing', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001', status: 'pending' }));

    const response = await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'eaten', expectedStatus: 'pending' }).expect(400);

    expect(response.text).toContain('role="alert"');
    expect(response.text).toContain('Choose a status: pending, confirmed, delayed, delivered');
    expect((await orders.findById('00000000000000000000000000000001'))!.status).toBe('pending');
    expect(await orders.history('00000000000000000000000000000001')).toHaveLength(1);
  });

  it('answers 400 when the status is missing', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001' }));
    await agent.post('/orders/00000000000000000000000000000001/status').send({ expectedStatus: 'pending' }).expect(400);
    expect((await orders.findById('00000000000000000000000000000001'))!.status).toBe('pending');
  });

  it('answers a 404 page for an unknown order', async () => {
    const { signIn } = await createTestApp({ engine });
    const agent = await signIn();
    const response = await agent.post('/orders/nope/status').send({ status: 'confirmed' }).expect(404);
    expect(response.text).toContain('There is no order with that id.');
  });

  it('keeps the time an order was first delivered when it is delivered again', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001', status: 'confirmed' }));

    await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(303);
    const firstDelivery = (await orders.findById('00000000000000000000000000000001'))!.deliveredAt;
    expect(firstDelivery).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'delayed', expectedStatus: 'delivered', delayMinutes: '20' }).expect(303);
    await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'delivered', expectedStatus: 'delayed' }).expect(303);
    await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'delivered', expectedStatus: 'delivered' }).expect(303);

    expect((await orders.findById('00000000000000000000000000000001'))!.deliveredAt).toBe(firstDelivery);
  });

  it('shows "first delivered" only while the order is delivered; the history keeps the time', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001', status: 'confirmed' }));
    await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(303);
    expect((await agent.get('/')).text).toContain('class="age">done ');
    expect((await agent.get('/orders/00000000000000000000000000000001')).text).toContain('First delivered');

    await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'pending', expectedStatus: 'delivered' }).expect(303);

    expect((await agent.get('/')).text).not.toContain('class="age">done ');
    const page = await agent.get('/orders/00000000000000000000000000000001');
    expect(page.text).not.toContain('First delivered');
    expect(page.text).toContain('<td>delivered</td>');
  });

  it('says nothing changed when the status is already the chosen one', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001', status: 'confirmed' }));
    await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);
    const board = await agent.get('/');
    expect(board.text).toContain('was already confirmed; nothing changed');
    expect(await orders.history('00000000000000000000000000000001')).toHaveLength(1);
  });

  it('renders the status the board showed into each status form', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001', status: 'delayed' }));
    const board = await agent.get('/').expect(200);
    expect(board.text).toMatch(/action="\/orders\/00000000000000000000000000000001\/status"[^]*?<input type="hidden" name="expectedStatus" value="delayed">/);
  });

  it('refuses a change from a stale page with 409, says who changed the order to what and when, and changes nothing', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    await orders.insert(makeOrder({ id: '000000000000000000000000000000d0', customerName: 'Don Cheetos', status: 'confirmed' }));
    const chef = await signIn('chef');
    const cook = await signIn('cook');
    // Both tablets show "confirmed"; the chef marks it delivered first.
    await chef.post('/orders/000000000000000000000000000000d0/status').send({ status: 'delivered', expectedStatus: 'confirmed' }).expect(303);

    const response = await cook.post('/orders/000000000000000000000000000000d0/status').send({ status: 'pending', expectedStatus: 'confirmed' }).expect(409);

    expect(response.text).toContain('role="alert"');
    expect(response.text).toMatch(/Don Cheetos&#39;s order was changed to delivered by chef at \d\d:\d\d — check the board and try again\. Your choice, pending, was not saved\./);
    expect(response.text).toMatch(/<option selected>delivered/);
    expect((await orders.findById('000000000000000000000000000000d0'))!.status).toBe('delivered');
    expect((await orders.history('000000000000000000000000000000d0')).map((change) => change.status)).toEqual(['confirmed', 'delivered']);
  });

  it('lets only the first of two tablets showing the same status change it when both press Update at once', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    await orders.insert(makeOrder({ id: '000000000000000000000000000000d0', customerName: 'Don Cheetos', status: 'confirmed' }));
    const chef = await signIn('chef');
    const cook = await signIn('cook');

    const responses = await Promise.all([
      chef.post('/orders/000000000000000000000000000000d0/status').send({ status: 'delivered', expectedStatus: 'confirmed' }),
      cook.post('/orders/000000000000000000000000000000d0/status').send({ status: 'pending', expectedStatus: 'confirmed' }),
    ]);

    expect(responses.map((response) => response.status).sort()).toEqual([303, 409]);
    const winner = responses[0]!.status === 303 ? 'delivered' : 'pending';
    expect((await orders.findById('000000000000000000000000000000d0'))!.status).toBe(winner);
    expect((await orders.history('000000000000000000000000000000d0')).map((change) => change.status)).toEqual(['confirmed', winner]);
  });

  it('answers 400 when the form does not say which status the board showed, and changes nothing', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001', customerName: 'Mike Madeater', status: 'pending' }));
    const response = await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'confirmed' }).expect(400);
    expect(response.text).toContain('Status of Mike Madeater&#39;s order not changed: the form did not say which status the board showed; reload the board and try again.');
    expect((await orders.findById('00000000000000000000000000000001'))!.status).toBe('pending');
    expect(await orders.history('00000000000000000000000000000001')).toHaveLength(1);
  });

  it('refuses an oversized body with 413', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001' }));
    await agent.post('/orders/00000000000000000000000000000001/status').send({ status: 'x'.repeat(20_000) }).expect(413);
    expect((await orders.findById('00000000000000000000000000000001'))!.status).toBe('pending');
  });
});

describeEngines('GET /orders/:orderId', (engine) => {
  it('shows the status history', async () => {
    const { orders, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001', customerName: 'Don Cheetos', status: 'pending' }));
    await orders.updateStatus('00000000000000000000000000000001', 'confirmed', null);
    const page = await agent.get('/orders/00000000000000000000000000000001').expect(200);
    expect(page.text).toContain('Order for Don Cheetos');
    expect(page.text.indexOf('<td>pending</td>')).toBeLessThan(page.text.indexOf('<td>confirmed</td>'));
  });

  it('answers 404 for an unknown order', async () => {
    const { signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.get('/orders/missing').expect(404);
  });
});

describeEngines('errors and health', (engine) => {
  it('answers an unknown address with a 404 page', async () => {
    const { signIn } = await createTestApp({ engine });
    const agent = await signIn();
    const response = await agent.get('/no/such/page').expect(404);
    expect(response.text).toContain('There is no page at this address.');
  });

  it('reports health when the database answers', async () => {
    const { signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await agent.get('/healthz').expect(200, { status: 'ok' });
  });

  it('reports 503 when the database is gone', async () => {
    const { database, signIn } = await createTestApp({ engine });
    const agent = await signIn();
    await database.close();
    await agent.get('/healthz').expect(503);
  });
});

describeEngines('error pages', (engine) => {
  it('hides a 5xx message and stack in production', async () => {
    const { database, signIn } = await createTestApp({ engine, config: testConfig({ NODE_ENV: 'production' }) });
    const agent = await signIn();
    await database.close();
    const response = await agent.get('/').expect(500);
    expect(response.text).toContain('Something went wrong on our side');
    expect(response.text).not.toMatch(/database connection is not open|after calling end on the pool|at .*\.ts:\d+/);
  });
});
