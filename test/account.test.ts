import { expect, it } from 'vitest';
import { describeEngines } from './support/engines.ts';
import { createTestApp, testConfig, testPassword } from './support/helpers.ts';

describeEngines('POST /account/password', (engine) => {
  it('changes the password after checking the current one, and signs out everywhere', async () => {
    const { signIn, anonymous } = await createTestApp({ engine });
    const cook = await signIn('cook');
    const otherTablet = await signIn('cook');
    await cook.get('/account').expect(200);

    await cook.post('/account/password').send({ currentPassword: testPassword, newPassword: 'fresh basil and tomato' })
      .expect(303).expect('location', '/login?notice=password-changed');

    await cook.get('/').expect(303);
    await otherTablet.get('/').expect(303);
    const client = anonymous();
    await client.refreshToken('/login');
    await client.post('/login').send({ username: 'cook', password: testPassword }).expect(401);
    await client.post('/login').send({ username: 'cook', password: 'fresh basil and tomato' }).expect(303);
  });

  it('refuses a wrong current password with 400 and changes nothing', async () => {
    const { signIn, anonymous } = await createTestApp({ engine });
    const cook = await signIn('cook');
    const response = await cook.post('/account/password').send({ currentPassword: 'not my password', newPassword: 'fresh basil and tomato' }).expect(400);
    expect(response.text).toContain('Your current password is not right. Nothing was changed.');
    await cook.get('/').expect(200);
    const client = anonymous();
    await client.refreshToken('/login');
    await client.post('/login').send({ username: 'cook', password: testPassword }).expect(303);
  });

  it('refuses a weak new password with 400', async () => {
    const { signIn } = await createTestApp({ engine });
    const cook = await signIn('cook');
    const response = await cook.post('/account/password').send({ currentPassword: testPassword, newPassword: 'password1234' }).expect(400);
    expect(response.text).toContain('too common');
    await cook.get('/').expect(200);
  });
});

describeEngines('Strict-Transport-Security', (engine) => {
  it('is sent over HTTPS (through a trusted proxy) and not over plain HTTP', async () => {
    const { anonymous } = await createTestApp({ engine, config: testConfig({ TRUST_PROXY: 'true' }) });
    const secure = await anonymous().agent.get('/login').set('X-Forwarded-Proto', 'https');
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000');
    const plain = await anonymous().agent.get('/login');
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });
});
