import type { Logger } from 'pino';
import { generatePassword, passwordProblem } from './passwords.ts';
import type { PasswordHasher } from './passwords.ts';
import type { StaffRepository } from './staff-repository.ts';

export class FirstAdminError extends Error {}

/**
 * With no accounts at all, creates the first admin: from ADMIN_USERNAME/ADMIN_PASSWORD when set,
 * otherwise "admin" with a generated password shown once. There is never a default password.
 */
export async function ensureFirstAdmin(deps: {
  staff: StaffRepository;
  passwords: PasswordHasher;
  configured: { username: string; password: string } | undefined;
  logger: Logger;
  /** Shows lines to whoever started the server, set apart from the log. */
  announce: (lines: string[]) => void;
}): Promise<void> {
  if ((await deps.staff.count()) > 0) return;
  if (deps.configured) {
    const problem = await passwordProblem(deps.configured.password, deps.configured.username);
    if (problem) throw new FirstAdminError(`ADMIN_PASSWORD: ${problem}`);
    const created = await deps.staff.create({ username: deps.configured.username, role: 'admin', passwordHash: await deps.passwords.hash(deps.configured.password) });
    if (!created) return anotherMadeIt(deps.logger);
    deps.logger.info({ username: deps.configured.username }, 'created the first admin from ADMIN_USERNAME');
    return;
  }
  const password = generatePassword();
  // Another instance starting at the same moment may have made it first: then this password was
  // never stored, and showing it would only mislead.
  if (!(await deps.staff.create({ username: 'admin', role: 'admin', passwordHash: await deps.passwords.hash(password) }))) return anotherMadeIt(deps.logger);
  deps.logger.info({ username: 'admin' }, 'created the first admin with a generated password');
  deps.announce([
    'Order Desk: first admin account created',
    '  username: admin',
    `  password: ${password}`,
    'This is shown only once. Sign in and keep it somewhere safe, or',
    'reset it later with: npm run staff -- reset-password admin',
  ]);
}

function anotherMadeIt(logger: Logger): void {
  logger.info('the first admin was created by another instance starting at the same time');
}
