import type { Db } from '../db/database.ts';

export type ThrottleLimits = { windowMs: number; perAccount: number; perAddress: number };

// After 5 wrong passwords for one account, or 20 from one address, within 15 minutes, sign-in
// waits until the oldest failure leaves the window. ASVS 5.0 V6.3.1; OWASP authentication cheat sheet.
export const defaultThrottleLimits: ThrottleLimits = { windowMs: 15 * 60_000, perAccount: 5, perAddress: 20 };

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/** Counts failed sign-ins in the database, so limits hold across restarts and processes. */
export function createLoginThrottle(db: Db, limits: ThrottleLimits = defaultThrottleLimits, now: () => number = Date.now) {
  const statements = {
    recent: db.prepare(`SELECT count(*) AS failures, min(failed_at) AS oldest FROM login_failures
      WHERE scope = ? AND key = ? AND failed_at > ?`),
    record: db.prepare('INSERT INTO login_failures (scope, key, failed_at) VALUES (?, ?, ?)'),
    clearAccount: db.prepare("DELETE FROM login_failures WHERE scope = 'account' AND key = ?"),
    sweep: db.prepare('DELETE FROM login_failures WHERE failed_at <= ?'),
  };

  const blockedUntil = (scope: 'account' | 'address', key: string, limit: number): number | undefined => {
    const since = now() - limits.windowMs;
    const { failures, oldest } = statements.recent.get(scope, key, since) as { failures: number; oldest: number | null };
    return failures >= limit && oldest !== null ? oldest + limits.windowMs : undefined;
  };

  return {
    /** When sign-in may be tried again, or undefined when it may be tried now. */
    retryAt(username: string, address: string): Date | undefined {
      const times = [
        blockedUntil('account', username.toLowerCase(), limits.perAccount),
        blockedUntil('address', address, limits.perAddress),
      ].filter((time): time is number => time !== undefined);
      return times.length > 0 ? new Date(Math.max(...times)) : undefined;
    },
    recordFailure: db.transaction((username: string, address: string) => {
      const at = now();
      statements.record.run('account', username.toLowerCase(), at);
      statements.record.run('address', address, at);
      statements.sweep.run(at - limits.windowMs);
    }),
    recordSuccess: (username: string) => statements.clearAccount.run(username.toLowerCase()),
  };
}
