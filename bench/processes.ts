// Starting what a benchmark measures in processes of its own, pinned to one core while the load
// generator (this process) keeps the other, so the two do not compete for the same CPU.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..');

/** Which cores the server and the load generator run on, or why they are not pinned. */
export type Pinning = { pinned: true; serverCore: number; loadCore: number } | { pinned: false; reason: string };

export function pinLoadGenerator(): Pinning {
  try {
    const cores = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
    if (cores < 2) return { pinned: false, reason: `only ${cores} core` };
    // -a: every thread of this process (libuv's pool included), not just the main one.
    execFileSync('taskset', ['-a', '-pc', '1', String(process.pid)], { stdio: 'ignore' });
    return { pinned: true, serverCore: 0, loadCore: 1 };
  } catch {
    return { pinned: false, reason: 'taskset is not available' };
  }
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * The CPU time a process (all its threads) has used so far, in seconds, from /proc (Linux): the
 * 14th and 15th fields of its stat line, user and system time in clock ticks. Undefined elsewhere.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (2nd field) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** Spawns `node args…` on the server's core when pinning works. */
export function spawnNode(pinning: Pinning, args: string[], options: { env?: NodeJS.ProcessEnv; stdio?: StdioOptions } = {}): ChildProcess {
  const env = { ...process.env, ...options.env };
  const stdio = options.stdio ?? 'ignore';
  return pinning.pinned
    ? spawn('taskset', ['-c', String(pinning.serverCore), process.execPath, ...args], { cwd: root, env, stdio })
    : spawn(process.execPath, args, { cwd: root, env, stdio });
}

export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

export function httpRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Resolves with the ms from `since` to the first 200 from /healthz; gives up after `timeoutMs`. */
export async function waitForHealth(url: string, since: number, timeoutMs = 60_000): Promise<number> {
  for (;;) {
    try {
      const answer = await httpRequest(`${url}/healthz`);
      if (answer.status === 200) return performance.now() - since;
    } catch {
      // Not listening yet.
    }
    if (performance.now() - since > timeoutMs) throw new Error(`${url} did not answer /healthz within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** What `npm start` runs after `node` (its flags and src/server.ts), without npm's own start-up. */
export function startArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [node, ...args] = scripts.start.split(' ');
  if (node !== 'node' || !args.includes('src/server.ts')) throw new Error(`unexpected start script: ${scripts.start}`);
  return args;
}

export const benchUser = { username: 'bench', password: 'tomato-kitchen-door-blue-42' };

export type ServerUnderTest = {
  url: string;
  pid: number;
  /** From spawn to the first 200 from /healthz. */
  startMs: number;
  rssMb(): number;
  stop(): Promise<void>;
};

/** The real server on `databasePath`, started as `npm start` starts it, logging to a file. */
export async function startServer(pinning: Pinning, options: { databasePath: string; logPath: string; env?: Record<string, string>; imports?: string[] }): Promise<ServerUnderTest> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(options.logPath, 'a');
  const started = performance.now();
  // BENCH_PROFILE=folder: each server writes a CPU profile there when it stops.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawnNode(pinning, [...profile, ...(options.imports ?? []).flatMap((module) => ['--import', module]), ...startArguments()], {
    env: {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_PATH: options.databasePath,
      ADMIN_USERNAME: benchUser.username,
      ADMIN_PASSWORD: benchUser.password,
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', log, log],
  });
  const exited = once(child, 'exit');
  const startMs = await Promise.race([
    waitForHealth(url, started),
    exited.then(() => { throw new Error(`the server exited at start:\n${readFileSync(options.logPath, 'utf8').slice(-2000)}`); }),
  ]);
  return {
    url,
    pid: child.pid!,
    startMs,
    rssMb: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const cookiesOf = (answer: Answer) => (answer.headers['set-cookie'] as string[] | undefined)?.map((cookie) => cookie.split(';')[0]!) ?? [];

export type SignedIn = { cookie: string; csrfToken: string };

/** Signs in through the login form as a browser does, and reads the CSRF token from the board. */
export async function signIn(url: string): Promise<SignedIn> {
  const login = await httpRequest(`${url}/login`);
  const loginToken = /name="_csrf" value="([^"]+)"/.exec(login.body.toString())?.[1];
  if (!loginToken) throw new Error('the login page has no CSRF token');
  const form = new URLSearchParams({ _csrf: loginToken, ...benchUser }).toString();
  const answer = await httpRequest(`${url}/login`, {
    method: 'POST',
    headers: { cookie: cookiesOf(login).join('; '), 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  if (answer.status !== 303) throw new Error(`sign-in answered ${answer.status}`);
  const cookie = cookiesOf(answer).join('; ');
  const board = await httpRequest(`${url}/`, { headers: { cookie } });
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(board.body.toString())?.[1];
  if (board.status !== 200 || !csrfToken) throw new Error(`the board answered ${board.status} without a CSRF token`);
  return { cookie, csrfToken };
}
