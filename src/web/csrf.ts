import type { NextFunction, Request, Response } from 'express';
import { csrfSync } from 'csrf-sync';

// Synchronizer-token pattern: a per-session token in every form, checked on every state change.
// https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  // 128 random bits (what ASVS 5.0 asks of session tokens), in every row of the board: the library's
  // default of 1,024 bits would be most of a row's bytes.
  size: 16,
  getTokenFromRequest: (req) => {
    const fromForm = (req.body as Record<string, unknown> | undefined)?._csrf;
    return typeof fromForm === 'string' ? fromForm : req.get('x-csrf-token');
  },
  errorConfig: {
    statusCode: 403,
    code: 'EBADCSRFTOKEN',
    message: 'This form has expired or did not come from Order Desk, so nothing was changed. Go back, reload the page and try again.',
  },
});

export const csrfProtection = csrfSynchronisedProtection;

/** Views call csrfToken() only when they render a form, so plain page views create no session. */
export function exposeCsrfToken(req: Request, res: Response, next: NextFunction): void {
  res.locals.csrfToken = () => generateToken(req);
  next();
}
