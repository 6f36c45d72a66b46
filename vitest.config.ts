import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/no-promise-in-expect.ts'],
    testTimeout: 15_000,
    hookTimeout: 30_000,
  },
});
