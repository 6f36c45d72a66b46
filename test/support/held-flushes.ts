/**
 * An fsync the test controls, for openSqlite's `fsync` option. It passes at once until hold() is
 * called; then each flush waits for release() or fail().
 */
export function heldFlushes() {
  const held: Array<{ release: () => void; fail: (error: Error) => void }> = [];
  let holding = false;
  let calls = 0;
  return {
    fsync(_fd: number): Promise<void> {
      calls += 1;
      if (!holding) return Promise.resolve();
      return new Promise<void>((release, fail) => held.push({ release, fail }));
    },
    hold(): void {
      holding = true;
    },
    /** Flushes started and not yet released. */
    waiting: () => held.length,
    /** Every fsync call so far, held or not. */
    calls: () => calls,
    /** Lets the oldest waiting flush finish. */
    release(): void {
      held.shift()?.release();
    },
    /** Stops holding: every waiting flush and every later one passes. */
    letGo(): void {
      holding = false;
      for (const flush of held.splice(0)) flush.release();
    },
    fail(error: Error): void {
      held.shift()?.fail(error);
    },
  };
}
