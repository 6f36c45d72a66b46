import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

/**
 * Behind a reverse proxy with TRUST_PROXY off, every visitor has the proxy's address: sign-in
 * throttling then slows all staff down together, and cookies cannot tell HTTPS. Says so once.
 */
export function warnAboutUntrustedProxy(trustProxy: boolean | number | string, logger: Logger) {
  let warned = trustProxy !== false;
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!warned && req.headers['x-forwarded-for'] !== undefined) {
      warned = true;
      logger.warn(
        { proxyAddress: req.socket.remoteAddress },
        'Requests carry X-Forwarded-For but TRUST_PROXY is off, so every visitor looks like the proxy at this address. '
          + 'If a reverse proxy you run sits in front of Order Desk, set TRUST_PROXY to its address (e.g. TRUST_PROXY=loopback, or its IP) or hop count.',
      );
    }
    next();
  };
}
