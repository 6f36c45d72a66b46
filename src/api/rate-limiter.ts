import type { Database } from '../db/database.ts';

/** Allows `limit` requests per key in each fixed window; refusals say when the window ends. */
export type RateLimiter = { take(key: string | number): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> };

/**
 * Fixed windows aligned to the clock (each minute, for the API), counted in the database with one
 * upsert per request, so every process and instance on it shares one count per key.
 */
export function createRateLimiter(db: Database, options: { limit: number; windowMs: number; now?: () => number }): RateLimiter {
  const now = options.now ?? (() => Date.now());
  const sql = {
    take: `INSERT INTO rate_windows (bucket, window_start, count) VALUES (?, ?, 1)
      ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_windows.count + 1 RETURNING count`,
    sweep: 'DELETE FROM rate_windows WHERE window_start < ?',
  };
  let lastSweep = 0;
  return {
    async take(key) {
      const at = now();
      const windowStart = at - (at % options.windowMs);
      // Finished windows are dropped now and then: a few rows per key, never a growing table.
      if (windowStart > lastSweep) {
        lastSweep = windowStart;
        await db.run(sql.sweep, [windowStart]);
      }
      const count = (await db.value<number>(sql.take, [String(key), windowStart]))!;
      if (count <= options.limit) return { allowed: true };
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((windowStart + options.windowMs - at) / 1000)) };
    },
  };
}
