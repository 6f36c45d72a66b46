import type { Database } from '../db/database.ts';

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
  | { allowed: true; delayMs: number; succeeded: () => Promise<void> };

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/** Counts failed sign-ins in the database, so limits hold across restarts, processes and instances. */
export function createLoginThrottle(db: Database, limits: ThrottleLimits = defaultThrottleLimits, now: () => number = () => Date.now()) {
  const { windowMs, perAccount, perAddress } = limits;
  const addressDelayMs = limits.addressDelayMs ?? defaultThrottleLimits.addressDelayMs;
  const maxAddressDelayMs = limits.maxAddressDelayMs ?? defaultThrottleLimits.maxAddressDelayMs;
  const sql = {
    recent: `SELECT count(*) AS "failures", min(failed_at) AS "oldest" FROM login_failures
      WHERE scope = ? AND key = ? AND failed_at > ?`,
    record: 'INSERT INTO login_failures (scope, key, failed_at) VALUES (?, ?, ?) RETURNING id',
    remove: 'DELETE FROM login_failures WHERE id IN (?, ?)',
    clearAccount: "DELETE FROM login_failures WHERE scope = 'account' AND key = ?",
    sweep: 'DELETE FROM login_failures WHERE failed_at <= ?',
  };
  const recent = async (scope: 'account' | 'address', key: string, since: number) =>
    (await db.get<{ failures: number; oldest: number | null }>(sql.recent, [scope, key, since]))!;

  // Check and reserve in one transaction under the account's lock: the attempt counts as a failure
  // before the password is checked, so parallel requests cannot all slip under the limit.
  const reserve = (account: string, address: string) => db.transaction(async () => {
    await db.lock(`login:${account}`);
    const at = now();
    const since = at - windowMs;
    const forAccount = await recent('account', account, since);
    if (forAccount.failures >= perAccount && forAccount.oldest !== null) {
      return { allowed: false as const, retryAt: forAccount.oldest + windowMs };
    }
    const fromAddress = (await recent('address', address, since)).failures;
    const over = fromAddress - perAddress;
    const delayMs = over < 0 ? 0 : Math.min(maxAddressDelayMs, addressDelayMs * 2 ** Math.min(over, 30));
    await db.run(sql.sweep, [since]);
    const accountRow = await db.value<number>(sql.record, ['account', account, at]);
    const addressRow = await db.value<number>(sql.record, ['address', address, at]);
    return { allowed: true as const, delayMs, rows: [accountRow, addressRow] as const };
  });

  return {
    /**
     * Reserves a sign-in attempt: refused while the account is throttled; otherwise counted as a
     * failure until `succeeded()` settles it, with the delay to wait first when the address is over
     * its limit.
     */
    async attempt(username: string, address: string): Promise<LoginAttempt> {
      const account = username.toLowerCase();
      const reservation = await reserve(account, address);
      if (!reservation.allowed) return { allowed: false, retryAt: new Date(reservation.retryAt) };
      return {
        allowed: true,
        delayMs: reservation.delayMs,
        succeeded: () => db.transaction(async () => {
          await db.run(sql.remove, reservation.rows);
          await db.run(sql.clearAccount, [account]);
        }),
      };
    },
  };
}
