import type { NextFunction, Request, Response } from 'express';
import createError from 'http-errors';
import { isOrderId } from '../orders/order-id.ts';
import { setFlash } from '../web/flash.ts';
import { orderStatuses } from '../orders/order-status.ts';
import type { OrderStatus } from '../orders/order-status.ts';
import type { StaffAccount, StaffRepository } from './staff-repository.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    currentStaff?: StaffAccount;
  }
}

/**
 * Puts the signed-in account on res.locals. The account is read on every request, so disabling it
 * or the absolute session limit takes effect at once, not at the next sign-in.
 */
export function loadCurrentStaff(staff: StaffRepository, options: { maxHours: number; now?: () => number }) {
  const now = options.now ?? (() => Date.now());
  return async (req: Request, res: Response, next: NextFunction) => {
    const { staffId, signedInAt } = req.session;
    if (staffId === undefined) return next();
    const account = await staff.findById(staffId);
    const expired = signedInAt === undefined || now() - signedInAt > options.maxHours * 3_600_000;
    const voided = !account || account.disabledAt !== null || (signedInAt ?? 0) < account.sessionsValidAfter;
    if (!expired && !voided) {
      res.locals.currentStaff = account;
      return next();
    }
    req.log.info({ staffId, reason: expired ? 'session limit reached' : 'account disabled or password reset' }, 'session ended');
    req.session.regenerate((error) => {
      if (error) return next(error);
      if (expired) setFlash(req, { kind: 'info', message: `For safety, sessions end after ${options.maxHours} hour${options.maxHours === 1 ? '' : 's'}. Please sign in again.` });
      next();
    });
  };
}

/** Sends a visitor without a session to the login page, bringing them back afterwards. */
export function requireStaff(req: Request, res: Response, next: NextFunction): void {
  if (res.locals.currentStaff) return next();
  // Only a page view can be resumed; a form post goes back to the board after sign-in.
  const returnTo = req.method === 'GET' ? req.originalUrl : '/';
  res.redirect(303, returnTo === '/' ? '/login' : `/login?next=${encodeURIComponent(returnTo)}`);
}

export function requireAdmin(_req: Request, res: Response, next: NextFunction): void {
  if (res.locals.currentStaff?.role === 'admin') return next();
  next(createError(403, 'Only an admin can do this (staff accounts, settings).'));
}

/**
 * A return address is only ever a path on this site: never another origin, a protocol-relative
 * "//host" or a backslash trick that browsers read as one.
 */
export function safeReturnPath(candidate: unknown): string {
  if (typeof candidate !== 'string' || !candidate.startsWith('/') || candidate.length > 2000) return '/';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be refused
  if (/^\/[/\\]/.test(candidate) || /[\u0000-\u001f\\]/.test(candidate)) return '/';
  const base = 'http://order-desk.invalid';
  let url: URL;
  try {
    url = new URL(candidate, base);
  } catch {
    return '/';
  }
  if (url.origin !== base || url.pathname.startsWith('/login')) return '/';
  // Check what is returned, not what came in: normalising "/.//evil.example" gives "//evil.example".
  const path = url.pathname + url.search;
  return /^\/(?![/\\])/.test(path) ? path : '/';
}

/** What a board form posted after its session had ended asked for; sign-in says it was not done. */
export type UnsavedChoice = { action: 'status' | 'notify' | 'resend'; orderId: string; status: OrderStatus };

const unsavedActions = ['status', 'notify', 'resend'] as const;

/** Reads `action.orderId.status` (the login page's `unsaved`), or undefined for anything else. */
export function parseUnsavedChoice(text: unknown): UnsavedChoice | undefined {
  if (typeof text !== 'string') return undefined;
  const [action, orderId, status, ...rest] = text.split('.');
  if (rest.length > 0 || !unsavedActions.includes(action as UnsavedChoice['action']) || !isOrderId(orderId) || !orderStatuses.includes(status as OrderStatus)) return undefined;
  return { action: action as UnsavedChoice['action'], orderId, status: status as OrderStatus };
}

/**
 * A form posted without a session (it ended in another tab, by the idle timeout or the session
 * limit) whose token is not a signed-out visitor's: nothing in it is acted on — no route runs — and
 * the visitor is sent to sign in, with the board's choice carried along so sign-in can say it was
 * not saved. A forged post from another site gets the same harmless redirect.
 */
export function sendSignedOutFormToSignIn(req: Request, res: Response): void {
  const [, orderId, action] = /^\/orders\/([^/]+)\/([a-z]+)$/.exec(req.path) ?? [];
  const status = (req.body as Record<string, unknown> | undefined)?.status;
  const choice = parseUnsavedChoice(`${action}.${orderId}.${String(status)}`);
  req.log.info({ path: req.path }, 'form posted without a session: sent to sign in');
  res.redirect(303, choice ? `/login?unsaved=${choice.action}.${choice.orderId}.${choice.status}` : '/login?notice=form-not-saved');
}
