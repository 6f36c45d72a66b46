import type { CookieOptions, NextFunction, Request, Response } from 'express';

export type Flash = { kind: 'success' | 'error' | 'info'; message: string; details?: string[] };

/**
 * The flash travels in a signed cookie of its own, not in the session, as epic-stack's toasts do: a
 * status change then costs no session write, and neither does the page that shows its message. The
 * signature (cookie-parser, with the session secret) keeps another site's cookie from putting words
 * on the board.
 */
export const flashCookieName = 'order_desk.flash';

const cookieOptions = (req: Request): CookieOptions => ({ httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/', signed: true });

const isFlash = (value: unknown): value is Flash => {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, message, details } = value as Record<string, unknown>;
  return (kind === 'success' || kind === 'error' || kind === 'info') && typeof message === 'string'
    && (details === undefined || (Array.isArray(details) && details.every((detail) => typeof detail === 'string')));
};

/** Keeps a message for the next page after a redirect (post/redirect/get). */
export function setFlash(req: Request, flash: Flash): void {
  req.res!.cookie(flashCookieName, flash, cookieOptions(req));
}

/** Whether a flash is waiting for the next page (a forged or unreadable one counts: the page clears it). */
export function hasFlash(req: Request): boolean {
  return req.signedCookies?.[flashCookieName] !== undefined || req.cookies?.[flashCookieName] !== undefined;
}

/**
 * Gives views takeFlash(), which returns the pending flash and forgets it. It is taken when a page
 * renders, not when a request starts, so a flash survives requests that only redirect.
 */
export function exposeFlash(req: Request, res: Response, next: NextFunction): void {
  let taken = false;
  res.locals.takeFlash = (): Flash | undefined => {
    if (taken || !hasFlash(req)) return undefined;
    taken = true;
    res.clearCookie(flashCookieName, { ...cookieOptions(req), signed: false });
    const flash: unknown = req.signedCookies[flashCookieName];
    return isFlash(flash) ? flash : undefined;
  };
  next();
}
