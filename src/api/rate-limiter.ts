/** Allows `limit` requests per key in each fixed window; refusals say when the window ends. */
export type RateLimiter = { take(key: string | number): { allowed: true } | { allowed: false; retryAfterSeconds: number } };

export function createRateLimiter(options: { limit: number; windowMs: number; now?: () => number }): RateLimiter {
  const now = options.now ?? Date.now;
  const windows = new Map<string | number, { startedAt: number; count: number }>();
  return {
    take(key) {
      const at = now();
      let window = windows.get(key);
      if (!window || at - window.startedAt >= options.windowMs) {
        // Keys are few (one per shop or till), but forget finished windows all the same.
        for (const [other, { startedAt }] of windows) if (at - startedAt >= options.windowMs) windows.delete(other);
        window = { startedAt: at, count: 0 };
        windows.set(key, window);
      }
      window.count += 1;
      if (window.count <= options.limit) return { allowed: true };
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + options.windowMs - at) / 1000)) };
    },
  };
}
