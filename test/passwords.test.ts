import { describe, expect, it } from 'vitest';
import { createPasswordHasher, generatePassword, passwordProblem } from '../src/staff/passwords.ts';

const hasher = createPasswordHasher({ logN: 8 });

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(stored).toMatch(/^scrypt\$256\$8\$3\$/);
    expect(await hasher.verify('correct horse battery staple', stored)).toBe(true);
    expect(await hasher.verify('correct horse battery stapler', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('same password here')).not.toBe(await hasher.hash('same password here'));
  });

  it('verifies hashes made with other cost parameters', async () => {
    const stored = await createPasswordHasher({ logN: 9 }).hash('a password of old');
    expect(await hasher.verify('a password of old', stored)).toBe(true);
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    expect(await hasher.verify('anything', 'plain-text')).toBe(false);
  });

  it('uses the OWASP scrypt cost by default', async () => {
    expect(await createPasswordHasher().hash('x')).toMatch(/^scrypt\$32768\$8\$3\$/);
  });
});

describe('passwordProblem', () => {
  it.each(['correct horse battery staple', 'Tr0ub4dor&3-kitchen', 'kitchen-door-blue-42'])('accepts %j', (password) => {
    expect(passwordProblem(password, 'cook')).toBeUndefined();
  });

  it.each([
    ['short', 'at least 12'],
    ['x'.repeat(257), 'at most 256'],
    ['password1234', 'too common'],
    ['qwertyuiop12', 'too common'],
    ['Sunshine2024!!', 'too common'],
    ['aaaaaaaaaaaaaaa', 'too common'],
    ['cook-cook-cook-1', 'must not contain the username'],
  ])('refuses %j', (password, message) => {
    expect(passwordProblem(password, 'cook')).toContain(message);
  });

  it('generates passwords that pass its own rules', () => {
    const password = generatePassword();
    expect(password).toMatch(/^[A-Za-z2-9]{20}$/);
    expect(passwordProblem(password, 'admin')).toBeUndefined();
    expect(generatePassword()).not.toBe(password);
  });
});
