import { describe, expect, it } from 'vitest';
import { runServerToExit, startServer } from './support/server-process.ts';
import { useTempDatabases } from './support/temp-databases.ts';

const databasePath = useTempDatabases();

describe('the server process', () => {
  it('refuses to start on a bad setting, naming the variable, without a stack trace', async () => {
    const { code, output } = await runServerToExit({ DATABASE_PATH: databasePath(), MESSAGEBIRD_ORIGINATOR: 'Far too long a name' });
    expect(code).toBe(1);
    expect(output).toContain('MESSAGEBIRD_ORIGINATOR: must be at most 11 letters and digits');
    expect(output).not.toMatch(/\n\s+at /);
  });

  it.each([
    [{ TRUST_PROXY: 'TRUE, loopback' }, /TRUST_PROXY: must be true, false/],
    [{ PUBLIC_URL: 'https://orders.example.com' }, /PUBLIC_URL, MESSAGEBIRD_SIGNING_KEY: /],
  ])('refuses to start with %j, naming the variable, without a stack trace', async (env, expected) => {
    const { code, output } = await runServerToExit({ DATABASE_PATH: databasePath(), ...env });
    expect(code).toBe(1);
    expect(output).toMatch(expected);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('creates the first admin with a generated password shown once, and stops cleanly on SIGTERM', async () => {
    const path = databasePath();
    const server = await startServer({ DATABASE_PATH: path });
    const banner = /password: ([A-Za-z0-9]{20})/.exec(server.output());
    expect(banner, server.output()).not.toBeNull();
    const board = await fetch(server.url, { redirect: 'manual' });
    expect(board.status).toBe(303);
    expect(board.headers.get('location')).toBe('/login');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');

    const again = await startServer({ DATABASE_PATH: path });
    expect(again.output()).not.toContain('first admin account created');
    await again.stop();
  });

  it('refuses a weak ADMIN_PASSWORD for the first admin', async () => {
    const { code, output } = await runServerToExit({ DATABASE_PATH: databasePath(), ADMIN_USERNAME: 'chef', ADMIN_PASSWORD: 'password123' });
    expect(code).toBe(1);
    expect(output).toContain('ADMIN_PASSWORD: The password must be at least 12 characters long.');
  });
});
