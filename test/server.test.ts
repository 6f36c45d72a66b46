import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runServerToExit, startServer } from './server-process.ts';

const folders: string[] = [];
afterEach(() => { for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true }); });

function databasePath() {
  const folder = mkdtempSync(join(tmpdir(), 'order-desk-server-'));
  folders.push(folder);
  return join(folder, 'orders.db');
}

describe('the server process', () => {
  it('refuses to start on a bad setting, naming the variable, without a stack trace', async () => {
    const { code, output } = await runServerToExit({ DATABASE_PATH: databasePath(), MESSAGEBIRD_ORIGINATOR: 'Far too long a name' });
    expect(code).toBe(1);
    expect(output).toContain('MESSAGEBIRD_ORIGINATOR: must be at most 11 letters and digits');
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('serves the seeded board and stops cleanly on SIGTERM', async () => {
    const server = await startServer({ DATABASE_PATH: databasePath() });
    const board = await fetch(server.url).then((response) => response.text());
    expect(board).toContain('Hannah Hungry');
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
  });
});
