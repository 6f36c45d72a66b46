import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../src/db/sqlite.ts';
import { ensureFirstAdmin, FirstAdminError } from '../src/staff/first-admin.ts';
import { createStaffRepository } from '../src/staff/staff-repository.ts';
import { testPasswords } from './support/helpers.ts';

function setup() {
  const staff = createStaffRepository(openSqlite(':memory:'));
  const announced: string[] = [];
  const run = (configured?: { username: string; password: string }) =>
    ensureFirstAdmin({ staff, passwords: testPasswords, configured, logger: pino({ level: 'silent' }), announce: (lines) => announced.push(lines.join('\n')) });
  return { staff, announced, run };
}

describe('ensureFirstAdmin', () => {
  it('creates the configured admin and prints no password', async () => {
    const { staff, announced, run } = setup();
    await run({ username: 'chef', password: 'kitchen-door-blue-42' });
    const account = (await staff.findForLogin('chef'))!;
    expect(account.role).toBe('admin');
    expect(await testPasswords.verify('kitchen-door-blue-42', account.passwordHash)).toBe(true);
    expect(announced).toEqual([]);
  });

  it('creates "admin" with a generated password shown once in a banner', async () => {
    const { staff, announced, run } = setup();
    await run();
    expect(announced).toHaveLength(1);
    const password = /password: (\S+)/.exec(announced[0]!)![1]!;
    expect(await testPasswords.verify(password, (await staff.findForLogin('admin'))!.passwordHash)).toBe(true);
    await run();
    expect(announced).toHaveLength(1);
  });

  it('shows one working password when two instances start on an empty database at once', async () => {
    const { staff, announced, run } = setup();
    await Promise.all([run(), run()]);
    expect(announced).toHaveLength(1);
    const password = /password: (\S+)/.exec(announced[0]!)![1]!;
    expect(await testPasswords.verify(password, (await staff.findForLogin('admin'))!.passwordHash)).toBe(true);
    expect(await staff.count()).toBe(1);
  });

  it('does nothing when any account exists', async () => {
    const { staff, run } = setup();
    await staff.create({ username: 'cook', role: 'staff', passwordHash: await testPasswords.hash('whatever long one') });
    await run({ username: 'chef', password: 'kitchen-door-blue-42' });
    expect(await staff.count()).toBe(1);
  });

  it('refuses a weak configured password', async () => {
    const { staff, run } = setup();
    await expect(run({ username: 'chef', password: 'password' })).rejects.toThrow(FirstAdminError);
    expect(await staff.count()).toBe(0);
  });
});
