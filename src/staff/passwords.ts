import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
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

/**
 * The dictionary checks run in a process of their own, started by the first check and ended after
 * `idleMs` without one: the dictionaries (about 20 MB, and a tenth of a second to load) stay out of
 * the server's memory, and scoring a long password does not hold up the boards' requests. Not a
 * worker thread: a thread's exit left about 20 MB of its allocations in the server for good (glibc
 * keeps a thread's memory arena), an exited process gives everything back. A check waits for a
 * process that is still starting; a process that dies fails the checks it had, and the next check
 * starts another.
 */
export function createStrengthChecker(options: { idleMs: number }) {
  type Waiting = { resolve: (problem: string | undefined) => void; reject: (error: Error) => void };
  let current: { child: ChildProcess; pending: Map<number, Waiting>; idle?: NodeJS.Timeout } | undefined;
  let nextId = 0;

  // Whether the process (and its message channel) may keep this one running: only while it owes an answer.
  function hold(child: ChildProcess, held: boolean) {
    if (held) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  }

  function start() {
    // Without the server's own flags (its heap sizes are for the server); its output is the server's.
    const child = fork(fileURLToPath(new URL('./password-strength-worker.ts', import.meta.url)), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const started: NonNullable<typeof current> = { child, pending: new Map() };
    const failAll = (error: Error) => {
      clearTimeout(started.idle);
      for (const waiting of started.pending.values()) waiting.reject(error);
      started.pending.clear();
      if (current === started) current = undefined;
    };
    child.on('message', ({ id, problem }: { id: number; problem?: string }) => {
      started.pending.get(id)?.resolve(problem);
      started.pending.delete(id);
      if (started.pending.size > 0) return;
      // Nothing to wait for: the process must not keep a finished command-line run alive.
      hold(child, false);
      started.idle = setTimeout(() => {
        // A check from now on starts a new process; this one has nothing left to answer.
        if (current === started) current = undefined;
        child.kill();
      }, options.idleMs);
      started.idle.unref();
    });
    child.on('error', failAll);
    child.on('exit', (code, signal) => failAll(new Error(`the password-strength process stopped (${signal ?? `exit code ${code}`})`)));
    return started;
  }

  return {
    /** Why zxcvbn and the common-password list refuse the password, or undefined. */
    check(password: string, username: string): Promise<string | undefined> {
      current ??= start();
      const { child, pending } = current;
      clearTimeout(current.idle);
      hold(child, true);
      const id = nextId++;
      const answer = new Promise<string | undefined>((resolve, reject) => pending.set(id, { resolve, reject }));
      child.send({ id, password, username });
      return answer;
    },
    /** The checking process's id while one is running or starting (for tests). */
    pid: () => current?.child.pid,
  };
}

const strength = createStrengthChecker({ idleMs: 10_000 });

/** Why a new password is refused, or undefined when it is acceptable. */
export async function passwordProblem(password: string, username: string): Promise<string | undefined> {
  if (password.length < minimumPasswordLength) return `The password must be at least ${minimumPasswordLength} characters long.`;
  if (password.length > maximumPasswordLength) return `The password must be at most ${maximumPasswordLength} characters long.`;
  if (username && password.toLowerCase().includes(username.toLowerCase())) return 'The password must not contain the username.';
  return strength.check(password, username);
}

/** A strong random password for the first admin: 20 characters from an unambiguous alphabet. */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
  return Array.from({ length: 20 }, () => alphabet[randomInt(alphabet.length)]).join('');
}
