import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import type { SessionData } from 'express-session';
import { openSqlite } from '../src/db/sqlite.ts';
import { DatabaseSessionStore } from '../src/web/database-session-store.ts';
import { heldFlushes } from './support/held-flushes.ts';
import { useTempDatabases } from './support/temp-databases.ts';

const tempDatabasePath = useTempDatabases();

const minute = 60_000;

function sessionExpiringAt(ms: number): SessionData {
  return { cookie: { expires: new Date(ms), originalMaxAge: 240 * minute } } as unknown as SessionData;
}

/** The store's callbacks as promises. */
const settled = (write: (callback: (error?: unknown) => void) => void) =>
  new Promise<void>((resolve, reject) => write((error) => (error ? reject(error as Error) : resolve())));

describe('the session store’s idle timer (touch)', () => {
  it('writes nothing while the stored expiry is less than a minute behind, so a page view commits no write', async () => {
    const database = openSqlite(':memory:');
    const db = database.sqlite;
    const store = new DatabaseSessionStore(database, () => 1_000_000);
    const start = 2_000_000_000_000;
    await settled((done) => store.set('sid-1', sessionExpiringAt(start), done));
    const writesBefore = db.prepare('SELECT total_changes()').pluck().get() as number;

    await settled((done) => store.touch('sid-1', sessionExpiringAt(start + 59_000), done));
    expect(db.prepare('SELECT total_changes()').pluck().get()).toBe(writesBefore);
    expect(db.prepare('SELECT expires_at FROM sessions WHERE sid = ?').pluck().get('sid-1')).toBe(start);
  });

  it('moves the expiry forward once it is a minute or more behind', async () => {
    const database = openSqlite(':memory:');
    const db = database.sqlite;
    const store = new DatabaseSessionStore(database, () => 1_000_000);
    const start = 2_000_000_000_000;
    await settled((done) => store.set('sid-1', sessionExpiringAt(start), done));

    await settled((done) => store.touch('sid-1', sessionExpiringAt(start + minute), done));
    expect(db.prepare('SELECT expires_at FROM sessions WHERE sid = ?').pluck().get('sid-1')).toBe(start + minute);
  });
});

describe('the session store’s idle timer, answered from memory', () => {
  it('runs no statement for a touch of a session it just read, while the stored expiry is less than a minute behind', async () => {
    const database = openSqlite(':memory:');
    const store = new DatabaseSessionStore(database, () => 1_000_000);
    const start = 2_000_000_000_000;
    await settled((done) => store.set('sid-1', sessionExpiringAt(start), done));
    await new Promise((resolve, reject) => store.get('sid-1', (error, session) => (error ? reject(error as Error) : resolve(session))));
    const run = vi.spyOn(database, 'run');

    await settled((done) => store.touch('sid-1', sessionExpiringAt(start + 59_000), done));
    expect(run).not.toHaveBeenCalled();

    // A minute on, the statement runs and moves the expiry.
    await settled((done) => store.touch('sid-1', sessionExpiringAt(start + minute), done));
    expect(run).toHaveBeenCalledTimes(1);
    expect(database.sqlite.prepare('SELECT expires_at FROM sessions WHERE sid = ?').pluck().get('sid-1')).toBe(start + minute);
  });

  it('still moves the expiry of a session another process extended past what this one remembers', async () => {
    const database = openSqlite(':memory:');
    const store = new DatabaseSessionStore(database, () => 1_000_000);
    const other = new DatabaseSessionStore(database, () => 1_000_000);
    const start = 2_000_000_000_000;
    await settled((done) => store.set('sid-1', sessionExpiringAt(start), done));
    // Another instance moved it on; this one's memory is behind, so it asks the database, which decides.
    await settled((done) => other.touch('sid-1', sessionExpiringAt(start + 5 * minute), done));
    await settled((done) => store.touch('sid-1', sessionExpiringAt(start + 2 * minute), done));
    expect(database.sqlite.prepare('SELECT expires_at FROM sessions WHERE sid = ?').pluck().get('sid-1')).toBe(start + 5 * minute);
  });
});

describe('the session store’s writes', () => {
  it('resolve at their commit, without waiting for the disk', async () => {
    const path = tempDatabasePath();
    const flushes = heldFlushes();
    const database = openSqlite(path, { fsync: flushes.fsync });
    const store = new DatabaseSessionStore(database);
    flushes.hold();
    await settled((done) => store.set('sid-1', sessionExpiringAt(2_000_000_000_000), done));
    expect(flushes.waiting()).toBe(0);
    // Committed: another connection sees it.
    const other = new BetterSqlite3(path, { readonly: true });
    expect(other.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(1);
    other.close();
    await database.close();
  });
});
