// The password-strength rules that need dictionaries, loaded only in the process passwords.ts
// starts for them (password-strength-worker.ts), never in the server's.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

const commonPasswords = new Set(dictionary['passwords-common'] as string[]);
const strength = new ZxcvbnFactory({ graphs: adjacencyGraphs, dictionary });

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

/**
 * Why zxcvbn or the list of common passwords refuses the password, or undefined. The length and
 * username rules are checked first, by passwordProblem in passwords.ts.
 */
export function strengthProblem(password: string, username: string): string | undefined {
  const lower = password.toLowerCase();
  // A common word with digits or symbols tacked on or in between ("sunshine2024!", "Summer2026Summer")
  // is as guessable as the word; zxcvbn scores the second one just above the bar.
  const letters = lower.replace(/[^a-z]+/g, '');
  const repeated = /^(.+?)\1+$/.exec(letters)?.[1] ?? letters;
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
