import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

// What helmet sends with every answer, for a page that loads nothing but its own scripts and styles.
const policy: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
      imgSrc: ["'self'", 'data:'],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'"],
      // No upgrade-insecure-requests: kitchens often reach the board over plain HTTP on the LAN,
      // where upgrading the stylesheet requests would break the page.
    },
  },
  // HSTS only means something over HTTPS; on the plain-HTTP LAN it is left out (below).
  strictTransportSecurity: false,
  // Express is told not to send X-Powered-By at all (createApp), so nothing is left to remove.
  xPoweredBy: false,
};

/** helmet's middleware for the policy above, as helmet itself builds it (for the test that compares). */
export const helmetForPolicy = () => helmet(policy);

/**
 * helmet's headers for this policy, worked out once at start by running helmet's own middleware
 * against a recorder, then set on every answer in one call: the policy is fixed (no per-request
 * nonce), so the dozen nested middleware calls helmet makes per request bought nothing — they cost
 * the board page about 8% of its rate (npm run bench, A/B). HSTS is added over HTTPS.
 */
export function securityHeaders() {
  const headers = new Map<string, string>();
  let finished = false;
  const recorder = {
    setHeader(name: string, value: string | number) {
      headers.set(name, String(value));
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
  };
  helmetForPolicy()({} as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  // A policy that needed the request (a nonce, a function) could not be worked out in advance.
  if (!finished || headers.size === 0) throw new Error('helmet did not set its headers at once; they cannot be computed in advance');
  const secure = new Map([...headers, ['Strict-Transport-Security', 'max-age=31536000']]);
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeaders(req.secure ? secure : headers);
    next();
  };
}
