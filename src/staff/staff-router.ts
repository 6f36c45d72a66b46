import { Router } from 'express';
import type { Request, Response } from 'express';
import createError from 'http-errors';
import { z } from 'zod';
import { usernamePattern, usernameRule } from '../config.ts';
import { setFlash } from '../web/flash.ts';
import { signOut } from '../web/session.ts';
import { requireAdmin } from './authentication.ts';
import { passwordProblem } from './passwords.ts';
import type { PasswordHasher } from './passwords.ts';
import { staffRoles } from './staff-repository.ts';
import type { StaffAccount, StaffRepository } from './staff-repository.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    account?: StaffAccount;
  }
}

const newAccountForm = z.object({
  username: z.string({ error: 'Enter a username.' }).trim().regex(usernamePattern, `The username ${usernameRule}.`),
  password: z.string({ error: 'Enter a password.' }).max(256, 'That password is too long.'),
  role: z.enum(staffRoles, { error: 'Choose a role: staff or admin.' }),
});

const passwordForm = z.object({ password: z.string({ error: 'Enter a new password.' }).max(256, 'That password is too long.') });

export function createStaffRouter(deps: { staff: StaffRepository; passwords: PasswordHasher }): Router {
  const { staff, passwords } = deps;
  const router = Router();
  router.use('/staff', requireAdmin);

  router.param('staffId', async (_req, res, next, value: string) => {
    const account = /^\d{1,12}$/.test(value) ? await staff.findById(Number(value)) : undefined;
    if (!account) throw createError(404, 'There is no staff account with that id.');
    res.locals.account = account;
    next();
  });

  const renderList = async (res: Response, form: { username?: string; role?: string; error?: string } = {}) =>
    res.render('staff', { title: 'Staff accounts', accounts: await staff.list(), roles: staffRoles, form });

  router.get('/staff', (_req, res) => renderList(res));

  router.post('/staff', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = { username: typeof body.username === 'string' ? body.username.slice(0, 64) : '', role: typeof body.role === 'string' ? body.role : 'staff' };
    const parsed = newAccountForm.safeParse(body);
    if (!parsed.success) return renderList(res.status(400), { ...typed, error: parsed.error.issues[0]!.message });
    const problem = await passwordProblem(parsed.data.password, parsed.data.username);
    if (problem) return renderList(res.status(400), { ...typed, error: problem });

    const account = await staff.create({ username: parsed.data.username, role: parsed.data.role, passwordHash: await passwords.hash(parsed.data.password) });
    if (!account) return renderList(res.status(409), { ...typed, error: `The username ${parsed.data.username} is taken.` });
    req.log.info({ by: res.locals.currentStaff!.id, staffId: account.id, role: account.role }, 'staff account created');
    setFlash(req, { kind: 'success', message: `Account ${account.username} (${account.role}) created.` });
    res.redirect(303, '/staff');
  });

  router.post('/staff/:staffId/disable', async (req: Request, res: Response) => {
    const account = res.locals.account!;
    // The acting admin is active, so refusing self-disabling also keeps at least one admin.
    if (account.id === res.locals.currentStaff!.id) throw createError(409, 'You cannot disable your own account.');
    await staff.disable(account.id);
    req.log.info({ by: res.locals.currentStaff!.id, staffId: account.id }, 'staff account disabled');
    setFlash(req, { kind: 'success', message: `${account.username} is disabled and signed out everywhere.` });
    res.redirect(303, '/staff');
  });

  router.post('/staff/:staffId/enable', async (req, res) => {
    const account = res.locals.account!;
    await staff.enable(account.id);
    req.log.info({ by: res.locals.currentStaff!.id, staffId: account.id }, 'staff account enabled');
    setFlash(req, { kind: 'success', message: `${account.username} can sign in again.` });
    res.redirect(303, '/staff');
  });

  router.post('/staff/:staffId/password', async (req, res) => {
    const account = res.locals.account!;
    const parsed = passwordForm.safeParse(req.body ?? {});
    const problem = parsed.success ? await passwordProblem(parsed.data.password, account.username) : parsed.error.issues[0]!.message;
    if (problem || !parsed.success) {
      return renderList(res.status(400), { error: `Password for ${account.username} not changed: ${problem}` });
    }
    await staff.setPassword(account.id, await passwords.hash(parsed.data.password));
    req.log.info({ by: res.locals.currentStaff!.id, staffId: account.id }, 'staff password reset');
    if (account.id === res.locals.currentStaff!.id) return signOut(req, res, 'password-changed');
    setFlash(req, { kind: 'success', message: `New password set for ${account.username}; their sessions have ended.` });
    res.redirect(303, '/staff');
  });

  return router;
}
