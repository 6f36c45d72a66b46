import { parse as parseCookies } from 'cookie';
import { sign, unsign } from 'cookie-signature';
import type { CookieOptions, NextFunction, Request, Response } from 'express';
import { z } from 'zod';

// A message for the next page; a cookie that does not hold one is ignored.
const flashSchema = z.object({
  kind: z.enum(['success', 'error', 'info']),
  message: z.string(),
  details: z.array(z.string()).optional(),
});

export type Flash = z.infer<typeof flashSchema>;

/**
 * The flash travels in a signed cookie of its own, not in the session, as epic-stack's toasts do: a
 * status change then costs no session write, and neither does the page that shows its message. The
 * signature (cookie-signature, as Express signs cookies, with the session secret) keeps a cookie set
 * by anyone else from putting words on the board. Only a request that carries the cookie pays for
 * parsing and checking it.
 */
export const flashCookieName = 'order_desk.flash';

const secrets = new WeakMap<Request, string>();

const cookieOptions = (req: Request): CookieOptions => ({ httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });

/** Keeps a message for the next page after a redirect (post/redirect/get). */
export function setFlash(req: Request, flash: Flash): void {
  const secret = secrets.get(req);
  if (secret === undefined) throw new Error('setFlash needs the flash middleware (createFlashMiddleware) before it');
  req.res!.cookie(flashCookieName, sign(JSON.stringify(flash), secret), cookieOptions(req));
}

/** Whether a flash is waiting for the next page (a forged or unreadable one counts: the page clears it). */
export function hasFlash(req: Request): boolean {
  return req.headers.cookie?.includes(`${flashCookieName}=`) === true;
}

/** The waiting flash when its signature is this desk's, else undefined. */
function readFlash(req: Request, secret: string): Flash | undefined {
  const signed = parseCookies(req.headers.cookie ?? '')[flashCookieName];
  const value = signed === undefined ? false : unsign(signed, secret);
  if (value === false) return undefined;
  try {
    return flashSchema.safeParse(JSON.parse(value)).data;
  } catch {
    return undefined;
  }
}

/**
 * Gives setFlash() its secret and views takeFlash(), which returns the pending flash and forgets it.
 * It is taken when a page renders, not when a request starts, so a flash survives requests that only
 * redirect.
 */
export function createFlashMiddleware(secret: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    secrets.set(req, secret);
    let taken = false;
    res.locals.takeFlash = (): Flash | undefined => {
      if (taken || !hasFlash(req)) return undefined;
      taken = true;
      res.clearCookie(flashCookieName, cookieOptions(req));
      return readFlash(req, secret);
    };
    next();
  };
}
