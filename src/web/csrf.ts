import type { NextFunction, Request, Response } from 'express';
import { csrfSync } from 'csrf-sync';
import createError from 'http-errors';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Synchronizer-token pattern for signed-in staff: a per-session token in every form, checked on
// every state change. Visitors without a session (the login form) get a signed double-submit
// cookie instead, so merely loading the login page stores nothing on the server.
// https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
const message = 'This form has expired or did not come from Order Desk, so nothing was changed. Go back, reload the page and try again.';

const { csrfSynchronisedProtection, generateToken } = csrfSync({
  // 128 random bits (what ASVS 5.0 asks of session tokens), in every row of the board: the library's
  // default of 1,024 bits would be most of a row's bytes.
  size: 16,
  getTokenFromRequest: tokenFrom,
  errorConfig: { statusCode: 403, code: 'EBADCSRFTOKEN', message },
});

export const anonymousCsrfCookieName = 'order_desk.csrf';

function tokenFrom(req: Request): string | undefined {
  const fromForm = (req.body as Record<string, unknown> | undefined)?._csrf;
  return typeof fromForm === 'string' ? fromForm : req.get('x-csrf-token');
}

function cookieValue(req: Request, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * CSRF tokens and their check; `secret` signs the anonymous visitors' tokens. A post without a
 * session and without a valid anonymous token goes to `signedOut` (which must change nothing),
 * except the login form itself, which is refused.
 */
export function createCsrf(secret: string, options: { signedOut?: (req: Request, res: Response) => void } = {}) {
  const key = createHmac('sha256', secret).update('order-desk anonymous csrf').digest();
  const sign = (nonce: string) => createHmac('sha256', key).update(nonce).digest('base64url');
  const signedIn = (res: Response) => res.locals.currentStaff !== undefined;

  const anonymousToken = (req: Request, res: Response): string => {
    let nonce = cookieValue(req, anonymousCsrfCookieName);
    if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
      nonce = randomBytes(32).toString('base64url');
      res.cookie(anonymousCsrfCookieName, nonce, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
    }
    return sign(nonce);
  };

  const anonymousTokenIsValid = (req: Request): boolean => {
    const nonce = cookieValue(req, anonymousCsrfCookieName);
    const token = tokenFrom(req);
    if (!nonce || !token) return false;
    const expected = Buffer.from(sign(nonce));
    const actual = Buffer.from(token);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  };

  return {
    /** Views call csrfToken() only when they render a form. */
    exposeCsrfToken(req: Request, res: Response, next: NextFunction): void {
      res.locals.csrfToken = () => (signedIn(res) ? generateToken(req) : anonymousToken(req, res));
      next();
    },
    csrfProtection(req: Request, res: Response, next: NextFunction): void {
      if (signedIn(res)) return csrfSynchronisedProtection(req, res, next);
      if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || anonymousTokenIsValid(req)) return next();
      if (options.signedOut && req.path !== '/login') return options.signedOut(req, res);
      next(createError(403, message, { code: 'EBADCSRFTOKEN' }));
    },
  };
}
