import type { NextFunction, Request, Response } from 'express';

export type Flash = { kind: 'success' | 'error' | 'info'; message: string; details?: string[] };

declare module 'express-session' {
  interface SessionData {
    flash?: Flash;
  }
}

/** Keeps a message for the next page after a redirect (post/redirect/get). */
export function setFlash(req: Request, flash: Flash): void {
  req.session.flash = flash;
}

/**
 * Gives views takeFlash(), which returns the pending flash and forgets it. It is taken when a page
 * renders, not when a request starts, so a flash survives requests that only redirect.
 */
export function exposeFlash(req: Request, res: Response, next: NextFunction): void {
  res.locals.takeFlash = (): Flash | undefined => {
    const flash = req.session.flash;
    if (flash) delete req.session.flash;
    return flash;
  };
  next();
}
