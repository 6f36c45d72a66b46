import supertest from 'supertest';
import { expect, it } from 'vitest';
import { safeReturnPath } from '../src/staff/authentication.ts';
import { anonymousCsrfCookieName } from '../src/web/csrf.ts';
import { sessionCookieName } from '../src/web/session.ts';
import { describeEngines } from './support/engines.ts';
import { captureLogs, createTestApp, csrfTokenIn, FakeSmsSender, makeOrder, testConfig, testPassword } from './support/helpers.ts';

function sessionId(cookies: string[] | string | undefined): string | undefined {
  const list = Array.isArray(cookies) ? cookies : cookies ? [cookies] : [];
  return list.find((cookie) => cookie.startsWith(`${sessionCookieName}=`))?.split(';')[0];
}

describeEngines('GET /login and signing in', (engine) => {
  it('redirects a visitor without a session to the login page and back afterwards', async () => {
    const { anonymous, addAccount, orders } = await createTestApp({ engine });
    await orders.insert(makeOrder({ id: '00000000000000000000000000000001' }));
    await addAccount('cook');
    const client = anonymous();

    await client.get('/orders/00000000000000000000000000000001').expect(303).expect('location', '/login?next=%2Forders%2F00000000000000000000000000000001');
    const login = await client.refreshToken('/login?next=%2Forders%2F00000000000000000000000000000001');
    expect(login.text).toContain('name="next" value="/orders/00000000000000000000000000000001"');

    await client.post('/login').send({ username: 'cook', password: testPassword, next: '/orders/00000000000000000000000000000001' })
      .expect(303).expect('location', '/orders/00000000000000000000000000000001');
    await client.get('/orders/00000000000000000000000000000001').expect(200);
  });

  it('gives a new session id at sign-in, never keeping the one the browser had', async () => {
    const { anonymous, addAccount } = await createTestApp({ engine });
    await addAccount('cook');
    const client = anonymous();
    await client.refreshToken('/login');
    const first = sessionId((await client.post('/login').send({ username: 'cook', password: testPassword }).expect(303)).headers['set-cookie']);
    await client.refreshToken('/');
    const second = sessionId((await client.post('/login').send({ username: 'cook', password: testPassword }).expect(303)).headers['set-cookie']);
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
  });

  it('sets its cookies HttpOnly and SameSite=Lax, and Secure behind a trusted HTTPS proxy', async () => {
    const { app, addAccount } = await createTestApp({ engine, config: testConfig({ TRUST_PROXY: 'true' }) });
    await addAccount('cook');
    const page = await supertest(app).get('/login').set('X-Forwarded-Proto', 'https');
    const csrfCookie = (page.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(anonymousCsrfCookieName))!;
    // A client over plain HTTP would not send back a Secure cookie; this one plays the proxy.
    const login = await supertest(app).post('/login').set('X-Forwarded-Proto', 'https').set('Cookie', csrfCookie.split(';')[0]!)
      .type('form').send({ _csrf: csrfTokenIn(page.text), username: 'cook', password: testPassword }).expect(303);
    const cookies = [
      csrfCookie,
      (login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(sessionCookieName))!,
    ];
    for (const cookie of cookies) {
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Secure/);
    }
  });

  it('refuses a wrong password with 401, keeps the username typed, and logs no password', async () => {
    const logs = captureLogs();
    const { anonymous, addAccount } = await createTestApp({ engine, logger: logs.logger });
    await addAccount('cook');
    const client = anonymous();
    await client.refreshToken('/login');
    const response = await client.post('/login').send({ username: 'cook', password: 'not the password' }).expect(401);
    expect(response.text).toContain('Wrong username or password.');
    expect(response.text).toContain('value="cook"');
    expect(response.text).not.toContain('not the password');
    await client.get('/').expect(303);
    await client.post('/login').send({ username: 'cook', password: testPassword }).expect(303);
    // The log did record both sign-ins, and neither password.
    expect(logs.lines().map((line) => line.msg)).toEqual(expect.arrayContaining(['sign-in failed', 'signed in']));
    expect(logs.text()).not.toContain('not the password');
    expect(logs.text()).not.toContain(testPassword);
  });

  it('answers an unknown username exactly like a wrong password', async () => {
    const { anonymous } = await createTestApp({ engine });
    const client = anonymous();
    await client.refreshToken('/login');
    const response = await client.post('/login').send({ username: 'ghost', password: 'whatever-it-is' }).expect(401);
    expect(response.text).toContain('Wrong username or password.');
  });

  it('refuses a disabled account', async () => {
    const { anonymous, addAccount, staff } = await createTestApp({ engine });
    const account = await addAccount('cook');
    await staff.disable(account.id);
    const client = anonymous();
    await client.refreshToken('/login');
    const response = await client.post('/login').send({ username: 'cook', password: testPassword }).expect(401);
    expect(response.text).toContain('This account is disabled');
    await client.get('/').expect(303);
  });

  it('answers 400 and keeps the username when the password is missing', async () => {
    const { anonymous } = await createTestApp({ engine });
    const client = anonymous();
    await client.refreshToken('/login');
    const response = await client.post('/login').send({ username: 'cook' }).expect(400);
    expect(response.text).toContain('Enter your password.');
    expect(response.text).toContain('value="cook"');
  });

  it('throttles an account after repeated failures with 429 and says when to retry', async () => {
    const { anonymous, addAccount } = await createTestApp({ engine, throttleLimits: { windowMs: 60_000, perAccount: 3, perAddress: 100 } });
    await addAccount('cook');
    const client = anonymous();
    await client.refreshToken('/login');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await client.post('/login').send({ username: 'cook', password: 'wrong-password-here' }).expect(401);
    }
    const blocked = await client.post('/login').send({ username: 'cook', password: testPassword }).expect(429);
    expect(blocked.text).toMatch(/Too many failed sign-ins\. Try again in 1 minute \(after \d\d:\d\d\)\./);
    expect(blocked.headers['retry-after']).toBe('60');
    await client.get('/').expect(303);
  });

  it('holds the account limit under 20 parallel wrong passwords: at most 5 are checked, the rest get 429', async () => {
    const { anonymous, addAccount } = await createTestApp({ engine, throttleLimits: { windowMs: 60_000, perAccount: 5, perAddress: 1000 } });
    await addAccount('cook');
    const client = anonymous();
    await client.refreshToken('/login');
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.post('/login').send({ username: 'cook', password: 'wrong-password-here' })));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status !== 401).every((status) => status === 429)).toBe(true);
    await client.post('/login').send({ username: 'cook', password: testPassword }).expect(429);
  });

  it('slows sign-in from an address with many failures down, but lets the right password in', async () => {
    const logs = captureLogs();
    const { anonymous, addAccount } = await createTestApp({ engine, logger: logs.logger, throttleLimits: { windowMs: 60_000, perAccount: 100, perAddress: 3, addressDelayMs: 5, maxAddressDelayMs: 20 } });
    await addAccount('boss', 'admin');
    const client = anonymous();
    await client.refreshToken('/login');
    for (const username of ['a1', 'b2', 'c3', 'd4', 'e5', 'f6']) {
      await client.post('/login').send({ username, password: 'wrong-password-here' }).expect(401);
    }
    await client.post('/login').send({ username: 'boss', password: testPassword }).expect(303);
    const delays = logs.lines().filter((line) => line.msg === 'sign-in slowed down: many failures from this address').map((line) => line.delayMs);
    expect(delays).toEqual([5, 10, 20, 20]);
  });

  it('counts a successful sign-in as no failure for its address', async () => {
    const logs = captureLogs();
    const { anonymous, addAccount } = await createTestApp({ engine, logger: logs.logger, throttleLimits: { windowMs: 60_000, perAccount: 100, perAddress: 2, addressDelayMs: 5, maxAddressDelayMs: 20 } });
    await addAccount('cook');
    const client = anonymous();
    for (let round = 0; round < 4; round += 1) {
      await client.refreshToken('/login');
      await client.post('/login').send({ username: 'cook', password: testPassword }).expect(303);
      await client.refreshToken('/');
      await client.post('/logout').expect(303);
    }
    expect(logs.lines().some((line) => line.msg === 'sign-in slowed down: many failures from this address')).toBe(false);
  });

  it('warns once, saying what to set, when requests come through a proxy that TRUST_PROXY does not trust', async () => {
    const logs = captureLogs();
    const { app } = await createTestApp({ engine, logger: logs.logger });
    await supertest(app).get('/login').set('X-Forwarded-For', '203.0.113.7').expect(200);
    await supertest(app).get('/login').set('X-Forwarded-For', '203.0.113.8').expect(200);
    const warnings = logs.lines().filter((line) => String(line.msg).includes('X-Forwarded-For'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);
    expect(warnings[0]!.msg).toContain('TRUST_PROXY');
  });

  it('does not warn about X-Forwarded-For when TRUST_PROXY is set', async () => {
    const logs = captureLogs();
    const { app } = await createTestApp({ engine, logger: logs.logger, config: testConfig({ TRUST_PROXY: 'loopback' }) });
    await supertest(app).get('/login').set('X-Forwarded-For', '203.0.113.7').expect(200);
    expect(logs.lines().some((line) => String(line.msg).includes('X-Forwarded-For'))).toBe(false);
  });

  it('stores no session for visitors who only load the login page: 500 of them leave no rows', async () => {
    const { app, database } = await createTestApp({ engine });
    for (let visitor = 0; visitor < 500; visitor += 1) {
      const page = await supertest(app).get('/login').expect(200);
      expect(page.text).toMatch(/name="_csrf" value="[^"]+"/);
    }
    expect(await database.value('SELECT count(*) FROM sessions')).toBe(0);
  });

  it('refuses a login form whose token was made for another browser', async () => {
    const { anonymous, addAccount } = await createTestApp({ engine });
    await addAccount('cook');
    const mine = anonymous();
    const theirs = anonymous();
    await mine.refreshToken('/login');
    await theirs.refreshToken('/login');
    await mine.agent.post('/login').type('form').send({ _csrf: theirs.token, username: 'cook', password: testPassword }).expect(403);
    await mine.post('/login').send({ username: 'cook', password: testPassword }).expect(303);
  });

  it('refuses a login form without its CSRF token', async () => {
    const { anonymous, addAccount } = await createTestApp({ engine });
    await addAccount('cook');
    const client = anonymous();
    await client.refreshToken('/login');
    const response = await client.agent.post('/login').type('form').send({ username: 'cook', password: testPassword }).expect(403);
    expect(response.text).toContain('did not come from Order Desk');
    await client.get('/').expect(303);
  });
});

describeEngines('signing out and ending sessions', (engine) => {
  it('logout destroys the session so the old cookie no longer works', async () => {
    const { anonymous, addAccount, app } = await createTestApp({ engine });
    await addAccount('cook');
    const client = anonymous();
    await client.refreshToken('/login');
    const login = await client.post('/login').send({ username: 'cook', password: testPassword }).expect(303);
    const oldCookie = sessionId(login.headers['set-cookie'])!;
    await supertest(app).get('/').set('Cookie', oldCookie).expect(200);
    await client.refreshToken('/');

    await client.post('/logout').expect(303).expect('location', '/login?notice=signed-out');

    await client.get('/').expect(303);
    await supertest(app).get('/').set('Cookie', oldCookie).expect(303).expect('location', '/login');
  });

  it('disabling an account ends its sessions at once', async () => {
    const { signIn } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    const cook = await signIn('cook');
    await cook.get('/').expect(200);

    await admin.post(`/staff/${cook.account.id}/disable`).expect(303);

    await cook.get('/').expect(303).expect('location', '/login');
    await cook.post('/orders/x/status').send({ status: 'confirmed' }).expect(303).expect('location', '/login?notice=form-not-saved');
  });

  it('resetting a password signs the account out everywhere', async () => {
    const { signIn } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    const cook = await signIn('cook');
    await admin.post(`/staff/${cook.account.id}/password`).send({ password: 'a brand new secret phrase' }).expect(303);
    await cook.get('/').expect(303);
  });

  it('ends a session at the absolute limit even when it is in use', async () => {
    const { signIn, database } = await createTestApp({ engine, config: testConfig({ SESSION_MAX_HOURS: '1' }) });
    const cook = await signIn();
    // Pretend the sign-in happened two hours ago.
    const rows = await database.all<{ sid: string; data: string }>('SELECT sid, data FROM sessions WHERE staff_id IS NOT NULL');
    for (const row of rows) {
      const data = JSON.parse(row.data);
      data.signedInAt -= 2 * 3_600_000;
      await database.run('UPDATE sessions SET data = ? WHERE sid = ?', [JSON.stringify(data), row.sid]);
    }
    await cook.get('/').expect(303).expect('location', '/login');
    const login = await cook.get('/login');
    expect(login.text).toContain('sessions end after 1 hour. Please sign in again.');
  });

  it('keeps the idle limit in the cookie and the stored expiry', async () => {
    const { signIn, database } = await createTestApp({ engine, config: testConfig({ SESSION_IDLE_MINUTES: '30' }) });
    const cook = await signIn();
    const response = await cook.get('/');
    const cookie = (response.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(sessionCookieName))!;
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!);
    expect(expires - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    const stored = (await database.value<number>('SELECT max(expires_at) FROM sessions'))!;
    expect(stored - Date.now()).toBeLessThanOrEqual(30 * 60_000);
  });
});

describeEngines('the return address after sign-in', (engine) => {
  it.each([
    ['/orders/abc', '/orders/abc'],
    ['/orders/abc?x=1', '/orders/abc?x=1'],
    ['https://evil.example/', '/'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['/\t/evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/login', '/'],
    ['', '/'],
  ])('turns %j into %j', (candidate, expected) => {
    expect(safeReturnPath(candidate)).toBe(expected);
  });

  it('never redirects to another site after signing in', async () => {
    const { anonymous, addAccount } = await createTestApp({ engine });
    await addAccount('cook');
    const client = anonymous();
    await client.refreshToken('/login?next=https://evil.example');
    await client.post('/login').send({ username: 'cook', password: testPassword, next: '//evil.example/x' })
      .expect(303).expect('location', '/');
  });
});

describeEngines('a board form posted after the session ended', (engine) => {
  const id = '0000000000000000000000000000000b';

  it('changes nothing, sends the visitor to sign in, and afterwards names the choice that was not saved', async () => {
    const { signIn, orders, database } = await createTestApp({ engine });
    await orders.insert(makeOrder({ id, customerName: 'Mike Madeater', status: 'pending' }));
    const cook = await signIn('cook');
    await database.run('DELETE FROM sessions');

    await cook.post(`/orders/${id}/status`).send({ status: 'delayed', expectedStatus: 'pending' })
      .expect(303).expect('location', `/login?unsaved=status.${id}.delayed`);
    expect((await orders.findById(id))!.status).toBe('pending');

    const login = await cook.refreshToken(`/login?unsaved=status.${id}.delayed`);
    expect(login.text).toContain('You were signed out, so your last change on the board was not saved and nothing was sent.');
    expect(login.text).toContain(`name="unsaved" value="status.${id}.delayed"`);
    await cook.post('/login').send({ username: 'cook', password: testPassword, unsaved: `status.${id}.delayed` })
      .expect(303).expect('location', `/#order-${id}`);
    const board = await cook.get('/').expect(200);
    expect(board.text).toContain('You had been signed out, so Mike Madeater&#39;s order was not changed to delayed.');
    expect((await orders.findById(id))!.status).toBe('pending');
  });

  it('says nothing was sent for a Notify pressed while signed out', async () => {
    const sender = new FakeSmsSender();
    const { signIn, orders, database } = await createTestApp({ engine, sender });
    await orders.insert(makeOrder({ id, customerName: 'Mike Madeater', status: 'pending' }));
    const cook = await signIn('cook');
    await database.run('DELETE FROM sessions');

    await cook.post(`/orders/${id}/notify`).send({ status: 'pending', expectedStatus: 'pending' }).expect(303).expect('location', `/login?unsaved=notify.${id}.pending`);
    await cook.refreshToken('/login');
    await cook.post('/login').send({ username: 'cook', password: testPassword, unsaved: `notify.${id}.pending` }).expect(303);
    expect((await cook.get('/')).text).toContain('You had been signed out, so nothing was sent to Mike Madeater.');
    expect(sender.sent).toHaveLength(0);
  });

  it('still refuses a login form without its token, and ignores an unsaved choice that is not one', async () => {
    const { anonymous, addAccount } = await createTestApp({ engine });
    await addAccount('cook');
    const client = anonymous();
    await client.refreshToken('/login');
    await client.agent.post('/login').type('form').send({ username: 'cook', password: testPassword }).expect(403);
    const page = await client.refreshToken('/login?unsaved=status.__proto__.delayed');
    expect(page.text).not.toContain('name="unsaved"');
    await client.post('/login').send({ username: 'cook', password: testPassword, unsaved: 'status.x.delayed' }).expect(303).expect('location', '/');
  });
});
