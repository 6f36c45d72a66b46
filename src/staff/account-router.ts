import { Router } from 'express';
import type { Response } from 'express';
import { z } from 'zod';
import { passwordProblem } from './passwords.ts';
import type { PasswordHasher } from './passwords.ts';
import type { StaffRepository } from './staff-repository.ts';
import { signOut } from '../web/session.ts';

const changePasswordForm = z.object({
  currentPassword: z.string({ error: 'Enter your current password.' }).min(1, 'Enter your current password.').max(256),
  newPassword: z.string({ error: 'Enter a new password.' }).max(256, 'That password is too long.'),
});

/** Every signed-in account can change its own password, proving the current one first. */
export function createAccountRouter(deps: { staff: StaffRepository; passwords: PasswordHasher }): Router {
  const { staff, passwords } = deps;
  const router = Router();

  const renderAccount = (res: Response, error?: string) => res.render('account', { title: 'Your account', error });

  router.get('/account', (_req, res) => renderAccount(res));

  router.post('/account/password', async (req, res) => {
    const account = res.locals.currentStaff!;
    const parsed = changePasswordForm.safeParse(req.body ?? {});
    if (!parsed.success) return renderAccount(res.status(400), parsed.error.issues[0]!.message);
    const stored = (await staff.findForLogin(account.username))!;
    if (!(await passwords.verify(parsed.data.currentPassword, stored.passwordHash))) {
      req.log.warn({ staffId: account.id }, 'password change refused: wrong current password');
      return renderAccount(res.status(400), 'Your current password is not right. Nothing was changed.');
    }
    const problem = await passwordProblem(parsed.data.newPassword, account.username);
    if (problem) return renderAccount(res.status(400), problem);

    await staff.setPassword(account.id, await passwords.hash(parsed.data.newPassword));
    req.log.info({ staffId: account.id }, 'password changed by its owner');
    // Every session of the account ends, this one included: sign in again with the new password.
    await signOut(req, res, 'password-changed');
  });

  return router;
}
