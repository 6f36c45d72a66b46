import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestLocation, describeEngines } from './support/engines.ts';
import { orderStatuses } from '../src/orders/order-status.ts';

const root = join(import.meta.dirname, '..');

/** Runs `npm run db:migrate`'s script with only these variables set. */
function migrateCli(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['src/db/migrate-cli.ts'], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describeEngines('npm run db:migrate', (engine) => {
  it('applies every migration to a new database, names each, and opens it ready to use', async () => {
    const place = await createTestLocation(engine);
    const result = await migrateCli(place.env);
    expect(result.code).toBe(0);
    const folder = engine.name === 'sqlite' ? 'migrations' : 'migrations-postgres';
    const files = readdirSync(join(root, 'src/db', folder)).filter((file) => file.endsWith('.sql')).sort();
    expect(result.output).toContain(`applied ${files.length} migration`);
    for (const file of files) expect(result.output).toContain(`  ${file}\n`);
    const db = await place.open();
    expect(await db.all('SELECT name FROM schema_migrations ORDER BY name')).toEqual(files.map((name) => ({ name })));
    expect(await db.value('SELECT count(*) FROM status_text_defaults')).toBe(orderStatuses.length);
  });

  it('applies nothing to a database that is up to date, and says so', async () => {
    const place = await createTestLocation(engine);
    await place.open();
    const result = await migrateCli(place.env);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/up to date, no migration to apply\.\n$/);
  });
});

describe('npm run db:migrate without a database to reach', () => {
  it('fails with the reason and the address, never the password', async () => {
    // Port 1 on this machine: nothing listens there.
    const result = await migrateCli({ DATABASE_URL: 'postgres://kitchen:s3cret-pass@127.0.0.1:1/orders' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('PostgreSQL postgres://kitchen:***@127.0.0.1:1/orders: ');
    expect(result.output).toMatch(/ECONNREFUSED/);
    expect(result.output).not.toContain('s3cret-pass');
  });

  it('refuses an address that is not PostgreSQL\'s, naming the variable', async () => {
    const result = await migrateCli({ DATABASE_URL: 'mysql://localhost/orders' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  });
});
