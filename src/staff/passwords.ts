import { dictionary } from '@zxcvbn-ts/language-common';
import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keyLength: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export const minimumPasswordLength = 12;
const maximumPasswordLength = 256;
const keyLength = 32;

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /** Spends the time of a verification, so an unknown username answers as slowly as a known one. */
  waste(password: string): Promise<void>;
};

/**
 * scrypt with a per-password salt; parameters are stored with each hash so they can be raised later.
 * Production cost N = 2^15, r = 8, p = 3 follows OWASP's password storage cheat sheet;
 * tests pass a lower cost to stay fast.
 */
export function createPasswordHasher(options: { logN?: number } = {}): PasswordHasher {
  const logN = options.logN ?? 15;
  const params = { N: 2 ** logN, r: 8, p: 3 };
  const derive = (password: string, salt: Buffer, p: { N: number; r: number; p: number }) =>
    scryptAsync(password.normalize('NFKC'), salt, keyLength, { ...p, maxmem: 256 * p.N * p.r + 1024 * 1024 });
  const dummySalt = randomBytes(16);

  return {
    async hash(password) {
      const salt = randomBytes(16);
      const key = await derive(password, salt, params);
      return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
    },
    async verify(password, stored) {
      const [scheme, N, r, p, salt, key] = stored.split('$');
      if (scheme !== 'scrypt' || !N || !r || !p || !salt || !key) return false;
      const expected = Buffer.from(key, 'base64');
      const actual = await derive(password, Buffer.from(salt, 'base64'), { N: Number(N), r: Number(r), p: Number(p) });
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
    async waste(password) {
      await derive(password, dummySalt, params);
    },
  };
}

const commonPasswords = new Set(dictionary['passwords-common'] as string[]);

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, username: string): string | undefined {
  if (password.length < minimumPasswordLength) return `The password must be at least ${minimumPasswordLength} characters long.`;
  if (password.length > maximumPasswordLength) return `The password must be at most ${maximumPasswordLength} characters long.`;
  const lower = password.toLowerCase();
  // A common word with digits or symbols tacked on ("sunshine2024!") is as guessable as the word.
  const stem = lower.replace(/[^a-z]+$/, '');
  if (commonPasswords.has(lower) || commonPasswords.has(stem) || /^(.)\1+$/.test(password)) {
    return 'That password is too common: choose one that is not on lists of popular passwords.';
  }
  if (username && lower.includes(username.toLowerCase())) return 'The password must not contain the username.';
  return undefined;
}

/** A strong random password for the first admin: 20 characters from an unambiguous alphabet. */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
  return Array.from({ length: 20 }, () => alphabet[randomInt(alphabet.length)]).join('');
}
