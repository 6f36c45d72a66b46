import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { expect } from 'vitest';
import { csrfTokenIn } from './helpers.ts';

const root = join(import.meta.dirname, '..', '..');

export type ServerProcess = {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Sends the signal and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
};

/** Starts `node src/server.ts` as its own process on a free port and waits until it listens. */
export async function startServer(env: Record<string, string>, options: { fakeMessageBird?: string; imports?: string[] } = {}): Promise<ServerProcess> {
  // With a fake MessageBird, the real sender in the server process is bridged to it.
  const preload = options.fakeMessageBird ? ['--import', './test/support/messagebird-bridge-preload.ts'] : [];
  for (const module of options.imports ?? []) preload.push('--import', module);
  if (options.fakeMessageBird) env = { FAKE_MESSAGEBIRD_URL: options.fakeMessageBird, ...env };
  const child = spawnServer(env, preload);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    child.stdout.on('data', () => {
      const match = /listening on (http:\/\/[^"\s]+)/.exec(output);
      if (match) { clearTimeout(timer); resolve(match[1]!); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${output}`)); });
  });

  return {
    url,
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}

/** Runs the server to completion (for start-up failures) and returns its exit code and output. */
export async function runServerToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawnServer(env, []);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const [code] = await once(child, 'exit');
  return { code: code as number | null, output };
}

function spawnServer(env: Record<string, string>, nodeArgs: string[]) {
  return spawn(process.execPath, [...nodeArgs, 'src/server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Signs in to a server process over HTTP as a browser would; returns the session cookie and the board's CSRF token. */
export async function signInOverHttp(url: string, account: { username: string; password: string }): Promise<{ cookie: string; token: string }> {
  const loginPage = await fetch(`${url}/login`);
  let cookie = loginPage.headers.getSetCookie()[0]!.split(';')[0]!;
  const signedIn = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...account, _csrf: csrfTokenIn(await loginPage.text()) }),
  });
  expect(signedIn.status).toBe(303);
  cookie = signedIn.headers.getSetCookie()[0]?.split(';')[0] ?? cookie;
  const board = await fetch(`${url}/`, { headers: { cookie } });
  return { cookie, token: csrfTokenIn(await board.text()) };
}
