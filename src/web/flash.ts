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

/** Moves a pending flash into the page's locals, so it shows exactly once. */
export function takeFlash(req: Request, res: Response, next: NextFunction): void {
  res.locals.flash = req.session.flash;
  if (req.session.flash) delete req.session.flash;
  next();
}
