import { createRequire } from 'node:module';
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

// The strength checker and its dictionaries take about 45 MB and a tenth of a second to load: they
// are loaded when a password is first checked, not by every start of the server.
const require = createRequire(import.meta.url);
let checker: { commonPasswords: Set<string>; strength: InstanceType<typeof import('@zxcvbn-ts/core').ZxcvbnFactory> } | undefined;
function strengthChecker() {
  if (!checker) {
    const { ZxcvbnFactory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    const { adjacencyGraphs, dictionary } = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    checker = { commonPasswords: new Set(dictionary['passwords-common'] as string[]), strength: new ZxcvbnFactory({ graphs: adjacencyGraphs, dictionary }) };
  }
  return checker;
}

// Words an attacker guessing at this app tries first: the product, and the restaurant its messages
// name (message-templates.ts).
const productWords = ['order', 'orders', 'desk', 'orderdesk', 'kitchen', 'omnomnom', 'omnomnomfoods', 'messagebird'];

// zxcvbn's minimum score: 3 is "safely unguessable: moderate protection from offline attacks"
// (about 10^8 guesses). https://zxcvbn-ts.github.io/zxcvbn/guide/getting-started/#output
const minimumScore = 3;

// Why zxcvbn found a password weak, by its warning key; a Map, as the key comes from the library.
const weaknesses = new Map([
  ['straightRow', 'it is a row of keys on the keyboard'],
  ['keyPattern', 'it is a short keyboard pattern'],
  ['simpleRepeat', 'it repeats a character'],
  ['extendedRepeat', 'it repeats a few characters or words'],
  ['sequences', 'it is a sequence such as abcdef or 123456'],
  ['recentYears', 'it relies on a recent year'],
  ['dates', 'it relies on a date'],
  ['topTen', 'it is one of the ten most used passwords'],
  ['topHundred', 'it is one of the hundred most used passwords'],
  ['common', 'it is a commonly used password'],
  ['similarToCommon', 'it is close to a commonly used password'],
  ['wordByItself', 'a single word is easy to guess'],
  ['namesByThemselves', 'names on their own are easy to guess'],
  ['commonNames', 'common names are easy to guess'],
  ['userInputs', 'it is built from the username or the name of this app'],
]);

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, username: string): string | undefined {
  if (password.length < minimumPasswordLength) return `The password must be at least ${minimumPasswordLength} characters long.`;
  if (password.length > maximumPasswordLength) return `The password must be at most ${maximumPasswordLength} characters long.`;
  const lower = password.toLowerCase();
  if (username && lower.includes(username.toLowerCase())) return 'The password must not contain the username.';
  // A common word with digits or symbols tacked on or in between ("sunshine2024!", "Summer2026Summer")
  // is as guessable as the word; zxcvbn scores the second one just above the bar.
  const letters = lower.replace(/[^a-z]+/g, '');
  const repeated = /^(.+?)\1+$/.exec(letters)?.[1] ?? letters;
  const { commonPasswords, strength } = strengthChecker();
  if (commonPasswords.has(lower) || commonPasswords.has(repeated) || /^(.)\1+$/.test(password)) {
    return 'That password is too common: choose one that is not on lists of popular passwords.';
  }
  const result = strength.check(password, [...productWords, username, ...username.split(/[._-]+/)]);
  if (result.score < minimumScore) {
    const why = (result.feedback.warning && weaknesses.get(result.feedback.warning)) || 'it follows a pattern that password crackers try early';
    return `That password is too easy to guess: ${why}. Try a few unrelated words, like a short sentence only you would make up.`;
  }
  return undefined;
}

/** A strong random password for the first admin: 20 characters from an unambiguous alphabet. */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
  return Array.from({ length: 20 }, () => alphabet[randomInt(alphabet.length)]).join('');
}
