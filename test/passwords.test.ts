import { describe, expect, it } from 'vitest';
import { createPasswordHasher, createStrengthChecker, generatePassword, passwordProblem } from '../src/staff/passwords.ts';

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
  it.each(['correct horse battery staple', 'Tr0ub4dor&3-kitchen', 'kitchen-door-blue-42'])('accepts %j', async (password) => {
    expect(await passwordProblem(password, 'cook')).toBeUndefined();
  });

  it.each([
    ['short', 'at least 12'],
    ['x'.repeat(257), 'at most 256'],
    ['password1234', 'too common'],
    ['qwertyuiop12', 'too common'],
    ['Sunshine2024!!', 'too common'],
    ['aaaaaaaaaaaaaaa', 'too common'],
    ['cook-cook-cook-1', 'must not contain the username'],
  ])('refuses %j', async (password, message) => {
    expect(await passwordProblem(password, 'cook')).toContain(message);
  });

  it.each([
    ['abcdefghijkl', 'a sequence'],
    ['qwertyuiopas', 'too easy to guess'],
    ['letmeinletmein', 'too common'],
    ['adminadmin12', 'too common'],
    ['stovestovestove', 'repeats a few characters or words'],
    ['orderdesk2026', 'built from the username or the name of this app'],
    ['OmNomNomFoods2026', 'built from the username or the name of this app'],
    ['Summer2026Summer', 'too common'],
    ['sunshine-2026-sunshine', 'too common'],
  ])('refuses the guessable %j, saying why', async (password, reason) => {
    const problem = await passwordProblem(password, 'chef');
    expect(problem).toContain(reason);
  });

  it('scores the username as a guessable word even where it is not contained whole', async () => {
    expect(await passwordProblem('Marguerite-1987', 'marguerite.dupont')).toMatch(/too easy to guess|too common/);
  });

  it('generates passwords that pass its own rules', async () => {
    const password = generatePassword();
    expect(password).toMatch(/^[A-Za-z2-9]{20}$/);
    expect(await passwordProblem(password, 'admin')).toBeUndefined();
    expect(generatePassword()).not.toBe(password);
  });
});

describe('the strength check\'s own process', () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('runs apart from the server and ends after the idle time, giving back its memory; a later check starts a new one', async () => {
    const checker = createStrengthChecker({ idleMs: 100 });
    expect(checker.pid()).toBeUndefined();
    expect(await checker.check('password1234', 'cook')).toContain('too common');
    const first = checker.pid()!;
    expect(first).not.toBe(process.pid);
    expect(alive(first)).toBe(true);
    await expect.poll(() => checker.pid(), { timeout: 3000 }).toBeUndefined();
    await expect.poll(() => alive(first), { timeout: 3000 }).toBe(false);
    expect(await checker.check('kitchen-door-blue-42', 'cook')).toBeUndefined();
    expect(checker.pid()).not.toBe(first);
  });

  it('answers checks made at the same moment, each with its own answer', async () => {
    const checker = createStrengthChecker({ idleMs: 100 });
    const answers = await Promise.all(['password1234', 'kitchen-door-blue-42', 'abcdefghijkl'].map((password) => checker.check(password, 'cook')));
    expect(answers[0]).toContain('too common');
    expect(answers[1]).toBeUndefined();
    expect(answers[2]).toContain('a sequence');
  });

  it('fails a check whose process died, instead of waiting for ever, and starts another for the next', async () => {
    const checker = createStrengthChecker({ idleMs: 10_000 });
    await checker.check('kitchen-door-blue-42', 'cook');
    const first = checker.pid()!;
    // Stopped before the check is sent, so it cannot answer in the moment before it is killed (on a
    // busy machine it once did, between the two lines, and the check resolved).
    process.kill(first, 'SIGSTOP');
    const pending = checker.check('another-long-pass-phrase', 'cook');
    process.kill(first, 'SIGKILL');
    await expect(pending).rejects.toThrow(/password-strength process stopped/);
    expect(await checker.check('password1234', 'cook')).toContain('too common');
    expect(checker.pid()).not.toBe(first);
    process.kill(checker.pid()!);
  });
});
