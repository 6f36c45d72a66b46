import { expect, it } from 'vitest';
import { describeEngines } from './support/engines.ts';
import { createTestApp, testPassword } from './support/helpers.ts';

describeEngines('GET /staff', (engine) => {
  it('lists accounts with their role and state for an admin', async () => {
    const { signIn, addAccount, staff } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    const cook = await addAccount('cook');
    await staff.disable(cook.id);
    const page = await admin.get('/staff').expect(200);
    expect(page.text).toMatch(/<th scope="row">cook<\/th>\s*<td>staff<\/td>\s*<td>disabled<\/td>/);
    expect(page.text).toMatch(/<th scope="row">boss<\/th>\s*<td>admin<\/td>\s*<td>active<\/td>/);
  });
});

describeEngines('POST /staff', (engine) => {
  it('adds an account that can then sign in', async () => {
    const { signIn, anonymous } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    await admin.post('/staff').send({ username: 'grill', password: 'sizzling steaks all day', role: 'staff' }).expect(303).expect('location', '/staff');
    expect((await admin.get('/staff')).text).toContain('Account grill (staff) created.');

    const client = anonymous();
    await client.refreshToken('/login');
    await client.post('/login').send({ username: 'grill', password: 'sizzling steaks all day' }).expect(303).expect('location', '/');
  });

  it.each([
    [{ username: 'grill', password: 'short', role: 'staff' }, 'at least 12 characters'],
    [{ username: 'grill', password: 'password1234', role: 'staff' }, 'too common'],
    [{ username: 'grill', password: 'sunshine2024!!', role: 'staff' }, 'too common'],
    [{ username: 'grill', password: 'my name is grill ok', role: 'staff' }, 'must not contain the username'],
    [{ username: 'grill', password: 'orderdesk2026', role: 'staff' }, 'too easy to guess: it is built from the username or the name of this app'],
    [{ username: 'grill', password: 'abcdefghijkl', role: 'staff' }, 'too easy to guess: it is a sequence'],
    [{ username: 'a', password: 'sizzling steaks all day', role: 'staff' }, 'The username must be 3 to 32'],
    [{ username: 'grill', password: 'sizzling steaks all day', role: 'owner' }, 'Choose a role'],
    [{ username: 'grill', role: 'staff' }, 'Enter a password.'],
  ])('refuses %j with 400, a clear message, and keeps what was typed', async (fields, message) => {
    const { signIn, staff } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    const response = await admin.post('/staff').send(fields).expect(400);
    expect(response.text).toContain(message);
    expect(response.text).toContain(`value="${fields.username}"`);
    expect(await staff.count()).toBe(1);
  });

  it('refuses a taken username, whatever its case, with 409', async () => {
    const { signIn, addAccount, staff } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    await addAccount('grill');
    const response = await admin.post('/staff').send({ username: 'GRILL', password: 'sizzling steaks all day', role: 'staff' }).expect(409);
    expect(response.text).toContain('is taken');
    expect(await staff.count()).toBe(2);
  });
});

describeEngines('disabling and enabling', (engine) => {
  it('disables and re-enables an account', async () => {
    const { signIn, addAccount, anonymous, staff } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    const cook = await addAccount('cook');
    await admin.post(`/staff/${cook.id}/disable`).expect(303);
    expect((await staff.findById(cook.id))!.disabledAt).not.toBeNull();
    await admin.post(`/staff/${cook.id}/enable`).expect(303);
    expect((await staff.findById(cook.id))!.disabledAt).toBeNull();

    const client = anonymous();
    await client.refreshToken('/login');
    await client.post('/login').send({ username: 'cook', password: testPassword }).expect(303);
  });

  it('will not let an admin disable their own account', async () => {
    const { signIn, staff } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    const response = await admin.post(`/staff/${admin.account.id}/disable`).expect(409);
    expect(response.text).toContain('You cannot disable your own account.');
    expect((await staff.findById(admin.account.id))!.disabledAt).toBeNull();
  });

  it('answers 404 for an unknown account', async () => {
    const { signIn } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    await admin.post('/staff/999/disable').expect(404);
    await admin.post('/staff/not-a-number/enable').expect(404);
  });
});

describeEngines('POST /staff/:staffId/password', (engine) => {
  it('sets a new password that works, and the old one no longer does', async () => {
    const { signIn, addAccount, anonymous } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    const cook = await addAccount('cook');
    await admin.post(`/staff/${cook.id}/password`).send({ password: 'fresh basil and tomato' }).expect(303);

    const client = anonymous();
    await client.refreshToken('/login');
    await client.post('/login').send({ username: 'cook', password: testPassword }).expect(401);
    await client.post('/login').send({ username: 'cook', password: 'fresh basil and tomato' }).expect(303);
  });

  it('refuses a weak password with 400 and keeps the old one', async () => {
    const { signIn, addAccount, anonymous } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    const cook = await addAccount('cook');
    const response = await admin.post(`/staff/${cook.id}/password`).send({ password: 'qwertyuiop12' }).expect(400);
    expect(response.text).toContain('Password for cook not changed');
    const client = anonymous();
    await client.refreshToken('/login');
    await client.post('/login').send({ username: 'cook', password: testPassword }).expect(303);
  });

  it('signs an admin out after resetting their own password', async () => {
    const { signIn } = await createTestApp({ engine });
    const admin = await signIn('boss', 'admin');
    await admin.post(`/staff/${admin.account.id}/password`).send({ password: 'my own brand new phrase' })
      .expect(303).expect('location', '/login?notice=password-changed');
    await admin.get('/').expect(303);
  });
});

describeEngines('the audit trail', (engine) => {
  it('records who changed a status and who asked for a message, and shows both on the order page', async () => {
    const { signIn, orders } = await createTestApp({ engine });
    await orders.insert({ id: '00000000000000000000000000000001', customerName: 'Don Cheetos', phone: '+319876543212', items: 'Cheese', status: 'pending' });
    const cook = await signIn('cook');
    await cook.post('/orders/00000000000000000000000000000001/status').send({ status: 'confirmed', expectedStatus: 'pending' }).expect(303);
    const waiter = await signIn('waiter');
    await waiter.post('/orders/00000000000000000000000000000001/notify').send({ status: 'confirmed', expectedStatus: 'confirmed' }).expect(303);

    expect((await orders.history('00000000000000000000000000000001')).map((change) => [change.status, change.changedBy])).toEqual([['pending', null], ['confirmed', 'cook']]);
    const page = await waiter.get('/orders/00000000000000000000000000000001').expect(200);
    expect(page.text).toMatch(/<td>confirmed<\/td><td>cook<\/td>/);
    expect(page.text).toMatch(/<td>waiter<\/td>\s*<td>confirmed<\/td>/);
  });
});
