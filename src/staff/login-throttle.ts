import type { Db } from '../db/database.ts';

export type ThrottleLimits = {
  windowMs: number;
  /** Failures for one account within the window before it answers 429 until the oldest leaves it. */
  perAccount: number;
  /** Failures from one address within the window before sign-in from it is slowed down. */
  perAddress: number;
  /** First delay once an address is over its limit; it doubles with each further failure… */
  addressDelayMs?: number;
  /** …up to this bound. */
  maxAddressDelayMs?: number;
};

// After 5 wrong passwords for one account within 15 minutes, that account waits until the oldest
// failure leaves the window (ASVS 5.0 V6.3.1; OWASP authentication cheat sheet). An address is only
// slowed down, never locked out: behind a proxy every member of staff shares one address, and a
// lockout there would lock out the admin typing the right password.
export const defaultThrottleLimits: Required<ThrottleLimits> = {
  windowMs: 15 * 60_000, perAccount: 5, perAddress: 20, addressDelayMs: 1000, maxAddressDelayMs: 10_000,
};

export type LoginAttempt =
  | { allowed: false; retryAt: Date }
  | { allowed: true; delayMs: number; succeeded: () => void };

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/** Counts failed sign-ins in the database, so limits hold across restarts and processes. */
export function createLoginThrottle(db: Db, limits: ThrottleLimits = defaultThrottleLimits, now: () => number = Date.now) {
  const { windowMs, perAccount, perAddress } = limits;
  const addressDelayMs = limits.addressDelayMs ?? defaultThrottleLimits.addressDelayMs;
  const maxAddressDelayMs = limits.maxAddressDelayMs ?? defaultThrottleLimits.maxAddressDelayMs;
  const statements = {
    recent: db.prepare(`SELECT count(*) AS failures, min(failed_at) AS oldest FROM login_failures
      WHERE scope = ? AND key = ? AND failed_at > ?`),
    record: db.prepare('INSERT INTO login_failures (scope, key, failed_at) VALUES (?, ?, ?)'),
    remove: db.prepare('DELETE FROM login_failures WHERE id IN (?, ?)'),
    clearAccount: db.prepare("DELETE FROM login_failures WHERE scope = 'account' AND key = ?"),
    sweep: db.prepare('DELETE FROM login_failures WHERE failed_at <= ?'),
  };
  const recent = (scope: 'account' | 'address', key: string, since: number) =>
    statements.recent.get(scope, key, since) as { failures: number; oldest: number | null };

  // Check and reserve in one immediate transaction: the attempt counts as a failure before the
  // password is checked, so parallel requests cannot all slip under the limit.
  const reserve = db.transaction((account: string, address: string) => {
    const at = now();
    const since = at - windowMs;
    const forAccount = recent('account', account, since);
    if (forAccount.failures >= perAccount && forAccount.oldest !== null) {
      return { allowed: false as const, retryAt: forAccount.oldest + windowMs };
    }
    const fromAddress = recent('address', address, since).failures;
    const over = fromAddress - perAddress;
    const delayMs = over < 0 ? 0 : Math.min(maxAddressDelayMs, addressDelayMs * 2 ** Math.min(over, 30));
    statements.sweep.run(since);
    const accountRow = statements.record.run('account', account, at).lastInsertRowid;
    const addressRow = statements.record.run('address', address, at).lastInsertRowid;
    return { allowed: true as const, delayMs, rows: [accountRow, addressRow] as const };
  });

  return {
    /**
     * Reserves a sign-in attempt: refused while the account is throttled; otherwise counted as a
     * failure until `succeeded()` settles it, with the delay to wait first when the address is over
     * its limit.
     */
    attempt(username: string, address: string): LoginAttempt {
      const account = username.toLowerCase();
      const reservation = reserve.immediate(account, address);
      if (!reservation.allowed) return { allowed: false, retryAt: new Date(reservation.retryAt) };
      return {
        allowed: true,
        delayMs: reservation.delayMs,
        succeeded: db.transaction(() => {
          statements.remove.run(...reservation.rows);
          statements.clearAccount.run(account);
        }),
      };
    },
  };
}
