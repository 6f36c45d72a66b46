import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeReturnPath } from '../src/staff/authentication.ts';
import { createTestApp } from './support/helpers.ts';

// A path on this site: one "/" and then anything but a second "/" or a backslash (which browsers
// read as "/"), or the bare "/".
const onThisSite = /^\/(?![/\\])/;

const piece = fc.oneof(
  fc.constantFrom('/', '//', '\\', '.', '..', '%2e', '%2E', '%2f', '%2F', '%5c', '%5C', '%2e%2e', '.%2e', '%252f',
    '\t', '\n', '\r', '\u0000', '\u001f', ' ', '?', '#', '@', ':', 'http:', 'https:', 'evil.example', 'login', 'orders', 'x'),
  fc.string({ maxLength: 4 }),
);
const returnPath = fc.array(piece, { maxLength: 10 }).map((pieces) => pieces.join(''));

describe('safeReturnPath', () => {
  it.each(['/.//evil.example/phish', '/..//x', '/%2e//x', '/./\\evil.example', '/x/..//evil.example'])(
    'turns %j into a path on this site', (candidate) => {
      expect(safeReturnPath(candidate)).toMatch(onThisSite);
    },
  );

  it('keeps an ordinary path with its query', () => {
    expect(safeReturnPath('/orders/c2972b5b4eef349fb1e5cc3e3150a2b6?x=1')).toBe('/orders/c2972b5b4eef349fb1e5cc3e3150a2b6?x=1');
  });

  it('always returns a single "/" followed by something other than "/" or "\\\\", whatever it is given', () => {
    fc.assert(fc.property(fc.oneof(returnPath, returnPath.map((path) => `/${path}`)), (candidate) => {
      const result = safeReturnPath(candidate);
      expect(result).toMatch(onThisSite);
      // eslint-disable-next-line no-control-regex -- control characters must never come back
      expect(result).not.toMatch(/[\u0000-\u001f\\]/);
    }), { numRuns: 5000 });
  });
});

describe('GET /login when already signed in', () => {
  it('never redirects to another host', async () => {
    const { signIn } = await createTestApp();
    const cook = await signIn('cook');
    for (const next of ['/.//evil.example/phish', '/..//x', '/%2e//x']) {
      const response = await cook.get(`/login?next=${encodeURIComponent(next)}`).expect(303);
      expect(response.headers.location).toMatch(onThisSite);
    }
  });
});
