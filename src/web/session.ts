import session from 'express-session';
import type { Db } from '../db/database.ts';
import { resolveSessionSecret } from './session-secret.ts';
import { SqliteSessionStore } from './sqlite-session-store.ts';

declare module 'express-session' {
  interface SessionData {
    staffId?: number;
    /** When the account signed in (ms since epoch), for the absolute session limit. */
    signedInAt?: number;
  }
}

export const sessionCookieName = 'order_desk.sid';

export function createSessionMiddleware(db: Db, options: { secret: string | undefined; idleMinutes: number }) {
  return session({
    name: sessionCookieName,
    secret: resolveSessionSecret(db, options.secret),
    store: new SqliteSessionStore(db),
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
