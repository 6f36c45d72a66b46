import type { NextFunction, Request, Response } from 'express';
import session from 'express-session';
import type { Database } from '../db/database.ts';
import { DatabaseSessionStore } from './database-session-store.ts';

declare module 'express-session' {
  interface SessionData {
    staffId?: number;
    /** When the account signed in (ms since epoch), for the absolute session limit. */
    signedInAt?: number;
  }
}

export const sessionCookieName = 'order_desk.sid';

/** Sessions kept in the database; `secret` is the resolved one (resolveSessionSecret). */
export function createSessionMiddleware(db: Database, options: { secret: string; idleMinutes: number }) {
  return session({
    name: sessionCookieName,
    secret: options.secret,
    store: new DatabaseSessionStore(db),
    resave: false,
    saveUninitialized: false,
    // Each request pushes expiry forward: the idle timeout. The absolute limit is checked on sign-in time.
    rolling: true,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      // Secure whenever the request came over HTTPS (directly or through a trusted proxy).
      secure: 'auto',
      maxAge: options.idleMinutes * 60_000,
    },
  });
}

/** Ends this browser's session and sends it to the login page with a notice. */
export async function signOut(req: Request, res: Response, notice: 'signed-out' | 'password-changed'): Promise<void> {
  await new Promise<void>((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
  res.clearCookie(sessionCookieName);
  res.redirect(303, `/login?notice=${notice}`);
}

/**
 * For requests a page makes by itself (the board's live stream): the session is read but its idle
 * timer is not reset, so an open board does not keep a session alive. express-session resets the
 * timer through session.touch() when the response starts and ends; here that does nothing, and the
 * stored expiry is written back unchanged.
 */
export function keepIdleTimer(req: Request, _res: Response, next: NextFunction): void {
  if (req.session) Object.defineProperty(req.session, 'touch', { value: () => req.session, configurable: true, writable: true });
  next();
}
