import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, wantsPrettyLogs } from '../src/logger.ts';
import { captureLogs, createTestApp } from './support/helpers.ts';
import { useTempDatabases } from './support/temp-databases.ts';

const databasePath = useTempDatabases();
const root = join(import.meta.dirname, '..');

function collector() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

/**
 * Starts the server with its output on a pseudo-terminal (util-linux `script`), as a developer
 * running `npm start` sees it, and returns what it printed until it listened.
 */
async function outputOnTerminal(env: Record<string, string>, until = /listening on http/): Promise<string> {
  const child = spawn('script', ['-qfec', `${JSON.stringify(process.execPath)} src/server.ts`, '/dev/null'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_PATH: databasePath(), TERM: 'dumb', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => { if (until.test(output)) resolve(); });
    child.once('exit', () => reject(new Error(`server exited:\n${output}`)));
  });
  child.kill('SIGTERM');
  await once(child, 'exit');
  return output;
}

describe('logs', () => {
  it.each([
    ['development', true, true],
    ['development', false, false],
    ['development', undefined, false],
    ['production', true, false],
    ['test', true, false],
  ] as const)('are pretty for NODE_ENV=%s with a terminal %s: %s', (env, terminal, pretty) => {
    expect(wantsPrettyLogs(env, terminal)).toBe(pretty);
  });

  it('pretty-prints readable lines, still without secrets', () => {
    const out = collector();
    createLogger('info', { pretty: true, destination: out.stream }).info({ password: 'hunter2hunter2' }, 'Order Desk is listening');
    expect(out.text()).toMatch(/INFO.*Order Desk is listening/);
    expect(out.text()).not.toMatch(/^\{/);
    expect(out.text()).not.toContain('hunter2hunter2');
  });

  it('writes JSON lines otherwise, without secrets at any depth', () => {
    const out = collector();
    createLogger('info', { destination: out.stream }).info({ password: 'hunter2hunter2', body: { password: 'swordfish-1234' } }, 'Order Desk is listening');
    expect(JSON.parse(out.text())).toMatchObject({ level: 30, msg: 'Order Desk is listening' });
    expect(out.text()).not.toMatch(/hunter2hunter2|swordfish-1234/);
  });

  it.runIf(existsSync('/usr/bin/script'))('are pretty when npm start runs at a terminal in development, JSON in production', async () => {
    const development = await outputOnTerminal({ NODE_ENV: 'development' });
    expect(development).toMatch(/INFO.*Order Desk is listening/);
    expect(development).not.toContain('"level":30');
    const production = await outputOnTerminal({ NODE_ENV: 'production' });
    expect(production).toContain('"level":30');
  }, 30_000);

  it.runIf(existsSync('/usr/bin/script'))('set the address to open and the database file apart at a terminal, and call a missing PUBLIC_URL information, not a warning', async () => {
    const output = await outputOnTerminal({ NODE_ENV: 'development' }, /Stop it with Ctrl\+C/);
    expect(output).toMatch(/={66}\s+(\S*\s*)Order Desk is running: open http:\/\/127\.0\.0\.1:\d+ in a browser/);
    expect(output).toMatch(/Database: \//);
    expect(output).toMatch(/INFO.*PUBLIC_URL is not set/);
    expect(output).toMatch(/password: [A-Za-z0-9]{20}/);
    expect(output).not.toMatch(/WARN/);
  }, 30_000);

  it('log a request by method, address and status, without its headers or the response\'s', async () => {
    const logs = captureLogs();
    const { anonymous } = await createTestApp({ logger: logs.logger });
    await anonymous().get('/login').set('User-Agent', 'kitchen-tablet').expect(200);
    const line = logs.lines().find((entry) => entry.msg === 'request completed')!;
    expect(line.req).toEqual({ id: expect.anything(), method: 'GET', url: '/login' });
    expect(line.res).toEqual({ statusCode: 200 });
    expect(logs.text()).not.toContain('kitchen-tablet');
    expect(logs.text()).not.toContain('content-security-policy');
  });
});
