import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('start-up', () => {
  it('loads the password-strength dictionaries only when a password is first checked', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((path) => path.includes('zxcvbn'));
      await import('./src/app.ts');
      const { passwordProblem } = await import('./src/staff/passwords.ts');
      const atStart = loaded();
      const problem = passwordProblem('aaaaaaaaaaaaaaaaaaaa', 'chef');
      console.log(JSON.stringify({ atStart, afterCheck: loaded(), problem }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const result = JSON.parse(stdout) as { atStart: boolean; afterCheck: boolean; problem: string };
    expect(result.atStart).toBe(false);
    expect(result.afterCheck).toBe(true);
    expect(result.problem).toMatch(/too common/);
  }, 30_000);
});
