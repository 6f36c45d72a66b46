import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../src/db/sqlite.ts';
import { createPasswordHasher } from '../src/staff/passwords.ts';
import { createStaffRepository } from '../src/staff/staff-repository.ts';
import { createTestApp } from './support/helpers.ts';
import { useTempDatabases } from './support/temp-databases.ts';

const root = join(import.meta.dirname, '..');

function cli(databasePath: string, args: string[], input: string) {
  const result = spawnSync(process.execPath, ['src/staff/staff-cli.ts', ...args], {
    cwd: root, input, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', DATABASE_PATH: databasePath },
  });
  return { code: result.status, output: result.stdout + result.stderr };
}

const temporaryPath = useTempDatabases();
/** A database as the server leaves it after its first start. */
function databasePath(): string {
  const path = temporaryPath();
  openSqlite(path).sqlite.close();
  return path;
}

describe('npm run staff', () => {
  it('adds an admin with the password from standard input', async () => {
    const path = databasePath();
    const result = cli(path, ['add', 'chef', '--admin'], 'stir the pot slowly\n');
    expect(result.output).toContain('Created admin account chef.');
    expect(result.code).toBe(0);
    const database = openSqlite(path);
    const db = database.sqlite;
    const account = (await createStaffRepository(database).findForLogin('chef'))!;
    expect(account.role).toBe('admin');
    expect(await createPasswordHasher().verify('stir the pot slowly', account.passwordHash)).toBe(true);
    db.close();
  });

  it('refuses a weak password and creates nothing', async () => {
    const path = databasePath();
    const result = cli(path, ['add', 'chef'], 'password\n');
    expect(result.code).toBe(1);
    expect(result.output).toContain('at least 12 characters');
    const database = openSqlite(path);
    const db = database.sqlite;
    expect(await createStaffRepository(database).count()).toBe(0);
    db.close();
  });

  it('refuses a taken username', () => {
    const path = databasePath();
    cli(path, ['add', 'chef'], 'stir the pot slowly\n');
    const result = cli(path, ['add', 'Chef'], 'another long password\n');
    expect(result.code).toBe(1);
    expect(result.output).toContain('The username Chef is taken.');
  });

  it('resets a password: the new one signs in, the old one no longer does', async () => {
    const path = databasePath();
    cli(path, ['add', 'chef'], 'stir the pot slowly\n');
    const result = cli(path, ['reset-password', 'chef'], 'knead the dough firmly\n');
    expect(result.code).toBe(0);
    expect(result.output).toContain('New password set for chef');
    const { anonymous } = await createTestApp({ databasePath: path });
    const client = anonymous();
    await client.refreshToken('/login');
    await client.post('/login').send({ username: 'chef', password: 'stir the pot slowly' }).expect(401);
    await client.post('/login').send({ username: 'chef', password: 'knead the dough firmly' }).expect(303).expect('location', '/');
    await client.get('/').expect(200);
  });

  it('names the database file it used', () => {
    const path = databasePath();
    const result = cli(path, ['list'], '');
    expect(result.code).toBe(0);
    expect(result.output).toContain(`Database: ${path}`);
  });

  it('refuses to create a new, empty database unless told to, naming the file', () => {
    const path = temporaryPath();
    const refused = cli(path, ['add', 'chef', '--admin'], 'stir the pot slowly\n');
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`There is no database at ${path}`);
    expect(existsSync(path)).toBe(false);

    const created = cli(path, ['add', 'chef', '--admin', '--new-database'], 'stir the pot slowly\n');
    expect(created.code).toBe(0);
    expect(created.output).toContain(`New database: ${path}`);
    expect(created.output).toContain('Created admin account chef.');
  });

  it('prints usage for an unknown command', () => {
    const result = cli(databasePath(), ['remove', 'chef'], '');
    expect(result.code).toBe(1);
    expect(result.output).toContain('Usage:');
  });
});
