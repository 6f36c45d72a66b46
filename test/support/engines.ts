import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, it, onTestFinished } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/database.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { openSqlite } from '../../src/db/sqlite.ts';

/**
 * Suites that run over both engines: SQLite always, PostgreSQL when TEST_DATABASE_URL names a
 * server (CI always sets it; `.ci/run` starts a throwaway one). Each test gets a fresh database:
 * SQLite in memory or in a temporary file, PostgreSQL in a schema of its own, dropped afterwards.
 *
 *   describeEngines('order repository', (engine) => {
 *     it('…', async () => { const db = await openTestDatabase(engine); … });
 *   });
 */
export type TestEngine = { name: 'sqlite'; url?: undefined } | { name: 'postgres'; url: string };

const postgresUrl = process.env.TEST_DATABASE_URL || undefined;
const skipReason = 'postgres: skipped, TEST_DATABASE_URL not set';

if (!postgresUrl && process.env.CI === 'true') {
  throw new Error('TEST_DATABASE_URL is not set: CI runs every suite on PostgreSQL too.');
}
if (!postgresUrl) console.warn(`${skipReason}: the suites over both engines run on SQLite only.`);

/**
 * The engines to run a suite over, for `describe.each(testEngines())('$name', (engine) => …)`.
 * Without TEST_DATABASE_URL only SQLite is listed, and a skipped suite says why in the report.
 */
export function testEngines(): TestEngine[] {
  if (postgresUrl) return [{ name: 'sqlite' }, { name: 'postgres', url: postgresUrl }];
  describe.skip(skipReason, () => {
    it('runs when TEST_DATABASE_URL names a PostgreSQL server', () => {});
  });
  return [{ name: 'sqlite' }];
}

/** `describe(name + ' (engine)', …)` once per engine; the PostgreSQL one skipped, visibly, without a server. */
export function describeEngines(name: string, suite: (engine: TestEngine) => void): void {
  if (postgresUrl) {
    for (const engine of testEngines()) describe(`${name} (${engine.name})`, () => suite(engine));
    return;
  }
  describe(`${name} (sqlite)`, () => suite({ name: 'sqlite' }));
  describe.skip(`${name} (${skipReason})`, () => {
    it('runs when TEST_DATABASE_URL names a PostgreSQL server', () => {});
  });
}

/** A suite for PostgreSQL alone (real concurrency, its own locks); skipped, visibly, without a server. */
export function describePostgres(name: string, suite: (engine: TestEngine & { name: 'postgres' }) => void): void {
  if (postgresUrl) {
    describe(`${name} (postgres)`, () => suite({ name: 'postgres', url: postgresUrl }));
    return;
  }
  describe.skip(`${name} (${skipReason})`, () => {
    it('runs when TEST_DATABASE_URL names a PostgreSQL server', () => {});
  });
}

/** Where a fresh database lives, for opening it more than once (two pools, server processes). */
export type TestLocation = {
  engine: TestEngine;
  /** What openDatabase takes: a SQLite file, or a URL whose connections use the test's schema. */
  location: { path: string } | { url: string };
  /** The same as environment variables for a server process or a CLI. */
  env: { DATABASE_PATH: string } | { DATABASE_URL: string };
  /** PostgreSQL: the schema, created empty. */
  schema?: string;
  /** Opens (and migrates) it, closed after the test. */
  open(options?: { poolSize?: number }): Promise<Database>;
};

/**
 * A place for a fresh database, not migrated yet: a temporary SQLite file, or an empty PostgreSQL
 * schema (named in the URL's search_path, so every connection, in any process, uses it). Removed
 * after the test, with every database opened through it. Call it inside a test or beforeEach.
 */
export async function createTestLocation(engine: TestEngine): Promise<TestLocation> {
  const opened: Database[] = [];
  const closeAll = async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
  };
  if (engine.name === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'order-desk-'));
    const path = join(folder, 'orders.db');
    onTestFinished(async () => {
      await closeAll();
      rmSync(folder, { recursive: true, force: true });
    });
    return {
      engine,
      location: { path },
      env: { DATABASE_PATH: path },
      async open() {
        const db = openSqlite(path);
        opened.push(db);
        return db;
      },
    };
  }
  const schema = `test_${randomBytes(8).toString('hex')}`;
  await adminQuery(engine.url, `CREATE SCHEMA ${schema}`);
  onTestFinished(async () => {
    await closeAll();
    await adminQuery(engine.url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
  const url = withSearchPath(engine.url, schema);
  return {
    engine,
    location: { url },
    env: { DATABASE_URL: url },
    schema,
    async open(options = {}) {
      const db = await openDatabase({ url }, options);
      opened.push(db);
      return db;
    },
  };
}

/**
 * A fresh, migrated database for this test: SQLite in memory (or in a temporary file, for tests that
 * need the file), or PostgreSQL in a new schema dropped with everything in it after the test.
 * Call it inside a test or beforeEach.
 */
export async function openTestDatabase(engine: TestEngine, options: { file?: boolean; poolSize?: number } = {}): Promise<Database> {
  if (engine.name === 'sqlite' && !options.file) {
    const db = openSqlite(':memory:');
    onTestFinished(() => db.close());
    return db;
  }
  if (engine.name === 'sqlite') return (await createTestLocation(engine)).open();
  const schema = `test_${randomBytes(8).toString('hex')}`;
  // Dropped even when opening fails half-way (openPostgres creates the schema first).
  const opened: { db?: Database } = {};
  onTestFinished(async () => {
    await opened.db?.close();
    await adminQuery(engine.url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
  opened.db = await openPostgres(engine.url, { schema, ...(options.poolSize ? { poolSize: options.poolSize } : {}) });
  return opened.db;
}

/** The URL with every connection's search_path set to `schema` (libpq's `options` parameter). */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
