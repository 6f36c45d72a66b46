import { Router } from 'express';
import { setTimeout as wait } from 'node:timers/promises';
import type { Response } from 'express';
import { z } from 'zod';
import type { OrderRepository } from '../orders/order-repository.ts';
import { setFlash } from '../web/flash.ts';
import { parseUnsavedChoice, safeReturnPath } from './authentication.ts';
import type { UnsavedChoice } from './authentication.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { PasswordHasher } from './passwords.ts';
import type { StaffRepository } from './staff-repository.ts';
import type { TimeFormatter } from '../web/format.ts';
import { signOut } from '../web/session.ts';

const loginForm = z.object({
  username: z.string({ error: 'Enter your username.' }).trim().min(1, 'Enter your username.').max(64, 'That username is too long.'),
  password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.').max(256, 'That password is too long.'),
});
// The return address is not validated here: safeReturnPath turns anything unusable into "/".

const notices: Record<string, string> = {
  'signed-out': 'You have signed out.',
  'password-changed': 'Your password was changed. Sign in with the new one.',
  'form-not-saved': 'You were signed out, so that form was not saved. Sign in and send it again.',
};

const unsavedNotice = 'You were signed out, so your last change on the board was not saved and nothing was sent. Sign in to go back to it.';

export function createAuthRouter(deps: { staff: StaffRepository; orders: OrderRepository; passwords: PasswordHasher; throttle: LoginThrottle; formatTime: TimeFormatter }): Router {
  const { staff, orders, passwords, throttle, formatTime } = deps;
  const router = Router();

  const renderLogin = (res: Response, fields: { username?: string; next?: string; error?: string; notice?: string; unsaved?: UnsavedChoice }) =>
    res.render('login', {
      title: 'Sign in', username: fields.username ?? '', next: safeReturnPath(fields.next), error: fields.error,
      notice: fields.notice ?? (fields.unsaved ? unsavedNotice : undefined),
      unsaved: fields.unsaved ? `${fields.unsaved.action}.${fields.unsaved.orderId}.${fields.unsaved.status}` : '',
    });

  /** Says, on the board after sign-in, what the form sent while signed out asked for and that it was not done. */
  const unsavedFlash = async (choice: UnsavedChoice) => {
    const name = (await orders.findById(choice.orderId))?.customerName;
    if (!name) return { kind: 'error' as const, message: 'You had been signed out, so your last change was not saved and nothing was sent.' };
    return {
      kind: 'error' as const,
      message: choice.action === 'status'
        ? `You had been signed out, so ${name}'s order was not changed to ${choice.status}. Nothing was saved: choose it again below if it still holds.`
        : `You had been signed out, so nothing was sent to ${name}. Press ${choice.action === 'notify' ? 'Notify customer' : 'Send again'} below if you still want to text them.`,
    };
  };

  router.get('/login', (req, res) => {
    if (res.locals.currentStaff) return res.redirect(303, safeReturnPath(req.query.next));
    renderLogin(res.status(200), {
      next: typeof req.query.next === 'string' ? req.query.next : undefined,
      notice: typeof req.query.notice === 'string' && Object.hasOwn(notices, req.query.notice) ? notices[req.query.notice] : undefined,
      unsaved: parseUnsavedChoice(req.query.unsaved),
    });
  });

  router.post('/login', async (req, res, next) => {
    const parsed = loginForm.safeParse(req.body ?? {});
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typedUsername = typeof body.username === 'string' ? body.username.slice(0, 64) : '';
    const returnTo = typeof body.next === 'string' ? body.next : undefined;
    const unsaved = parseUnsavedChoice(body.unsaved);
    if (!parsed.success) {
      return renderLogin(res.status(400), { username: typedUsername, next: returnTo, unsaved, error: parsed.error.issues[0]!.message });
    }
    const { username, password } = parsed.data;
    const address = req.ip ?? 'unknown';

    const attempt = await throttle.attempt(username, address);
    if (!attempt.allowed) {
      const { retryAt } = attempt;
      const minutes = Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 60_000));
      req.log.warn({ username, address }, 'sign-in refused: too many failures');
      res.set('Retry-After', String(minutes * 60));
      return renderLogin(res.status(429), {
        username, next: returnTo, unsaved,
        error: `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'} (after ${formatTime(retryAt)}).`,
      });
    }
    if (attempt.delayMs > 0) {
      req.log.warn({ username, address, delayMs: attempt.delayMs }, 'sign-in slowed down: many failures from this address');
      await wait(attempt.delayMs);
    }

    const account = await staff.findForLogin(username);
    const passwordMatches = account
      ? await passwords.verify(password, account.passwordHash)
      : (await passwords.waste(password), false);
    if (!account || !passwordMatches || account.disabledAt) {
      // The attempt stays counted as a failure.
      req.log.warn({ username, address, reason: !account ? 'unknown username' : !passwordMatches ? 'wrong password' : 'account disabled' }, 'sign-in failed');
      // Only someone who knows the password learns that the account is disabled.
      const error = account && passwordMatches ? 'This account is disabled. Ask an admin to enable it.' : 'Wrong username or password.';
      return renderLogin(res.status(401), { username, next: returnTo, unsaved, error });
    }

    await attempt.succeeded();
    const flash = unsaved ? await unsavedFlash(unsaved) : undefined;
    // A new session id at sign-in, so an id planted before it is worthless (session fixation).
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.staffId = account.id;
      req.session.signedInAt = Date.now();
      if (flash) setFlash(req, flash);
      req.session.save((saveError) => {
        if (saveError) return next(saveError);
        req.log.info({ username: account.username, staffId: account.id, address }, 'signed in');
        res.redirect(303, unsaved ? `/#order-${unsaved.orderId}` : safeReturnPath(returnTo));
      });
    });
  });

  router.post('/logout', async (req, res) => {
    req.log.info({ staffId: req.session.staffId }, 'signed out');
    await signOut(req, res, 'signed-out');
  });

  return router;
}
