import { chai } from 'vitest';

// Every repository call is async. `expect(orders.count()).toBeDefined()` would pass on the promise
// without ever looking at the count: a matcher handed a promise (without .resolves/.rejects) fails.
const matchers = [
  'toBe', 'toEqual', 'toStrictEqual', 'toMatchObject', 'toBeDefined', 'toBeUndefined', 'toBeNull',
  'toBeTruthy', 'toBeFalsy', 'toHaveLength', 'toContain', 'toContainEqual', 'toMatch', 'toHaveProperty',
  'toBeGreaterThan', 'toBeGreaterThanOrEqual', 'toBeLessThan', 'toBeLessThanOrEqual', 'toBeInstanceOf',
  'toBeTypeOf',
];

chai.use((_chai, utils) => {
  for (const name of matchers) {
    utils.overwriteMethod(chai.Assertion.prototype, name, (original: (...args: unknown[]) => unknown) => function (this: object, ...args: unknown[]) {
      const actual = utils.flag(this, 'object') as { then?: unknown } | null | undefined;
      if (actual && typeof actual.then === 'function' && !utils.flag(this, 'promise')) {
        throw new TypeError(`expect() was given a promise for .${name}(): await it first (or use .resolves/.rejects)`);
      }
      return original.apply(this, args);
    });
  }
});
