import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startServer } from './support/server-process.ts';
import { useTempDatabases } from './support/temp-databases.ts';

const run = promisify(execFile);
const databasePath = useTempDatabases();

describe('start-up', () => {
  it('never loads the password-strength dictionaries into the server\'s process, and a check does not keep a run alive', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((path) => path.includes('zxcvbn'));
      await import('./src/app.ts');
      const { passwordProblem } = await import('./src/staff/passwords.ts');
      const atStart = loaded();
      const problem = await passwordProblem('aaaaaaaaaaaaaaaaaaaa', 'chef');
      console.log(JSON.stringify({ atStart, afterCheck: loaded(), problem }));`;
    // The checking process stays 10 s for the next check; a run that waited for it would time out.
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 8000 });
    const result = JSON.parse(stdout) as { atStart: boolean; afterCheck: boolean; problem: string };
    expect(result.atStart).toBe(false);
    expect(result.afterCheck).toBe(false);
    expect(result.problem).toMatch(/too common/);
  }, 30_000);
});

describe('npm start', () => {
  it('keeps compiled modules on disk, so a restart skips compiling them', async () => {
    const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
    const [node, ...args] = packageJson.scripts.start.split(' ');
    expect(node).toBe('node');
    const serverAt = args.indexOf('src/server.ts');
    expect(serverAt).toBeGreaterThan(-1);
    // The start script's own flags, then a script that reports the cache in place of the server.
    const { stdout } = await run(process.execPath, [...args.slice(0, serverAt), '--input-type=module', '-e', "import { getCompileCacheDir } from 'node:module'; console.log(String(getCompileCacheDir()))"]);
    expect(stdout.trim()).not.toBe('undefined');
  }, 30_000);

  it('writes what it compiled to the disk once it listens, not at exit: a crash (SIGKILL) still leaves the next start a full cache', async () => {
    const database = databasePath();
    const cache = join(dirname(database), 'compile-cache');
    const server = await startServer({ DATABASE_PATH: database, NODE_COMPILE_CACHE: cache });
    try {
      expect(readdirSync(cache, { recursive: true }).length).toBeGreaterThan(100);
    } finally {
      await server.stop('SIGKILL');
    }
  }, 30_000);
});
