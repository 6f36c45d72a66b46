import { expect, it } from 'vitest';

it('fails a matcher handed an unawaited promise, so a forgotten await cannot pass unseen', () => {
  expect(() => expect(Promise.resolve(undefined)).toBeDefined()).toThrow(/await it first/);
  expect(() => expect(Promise.resolve(3)).not.toBe(4)).toThrow(/await it first/);
});

it('still takes promises through .resolves and .rejects, and plain values', async () => {
  await expect(Promise.resolve(1)).resolves.toBe(1);
  await expect(Promise.reject(new Error('no'))).rejects.toThrow('no');
  expect([1]).toHaveLength(1);
});
