import { describe, expect, it, vi } from 'vitest';
import type { SessionData } from 'express-session';
import { openDatabase } from '../src/db/database.ts';
import { SqliteSessionStore } from '../src/web/sqlite-session-store.ts';

const minute = 60_000;

function sessionExpiringAt(ms: number): SessionData {
  return { cookie: { expires: new Date(ms), originalMaxAge: 240 * minute } } as unknown as SessionData;
}

describe('the session store’s idle timer (touch)', () => {
  it('writes nothing while the stored expiry is less than a minute behind, so a page view commits no write', () => {
    const db = openDatabase(':memory:');
    const store = new SqliteSessionStore(db, () => 1_000_000);
    const start = 2_000_000_000_000;
    store.set('sid-1', sessionExpiringAt(start));
    const writesBefore = db.prepare('SELECT total_changes()').pluck().get() as number;

    store.touch('sid-1', sessionExpiringAt(start + 59_000));
    expect(db.prepare('SELECT total_changes()').pluck().get()).toBe(writesBefore);
    expect(db.prepare('SELECT expires_at FROM sessions WHERE sid = ?').pluck().get('sid-1')).toBe(start);
  });

  it('moves the expiry forward once it is a minute or more behind', () => {
    const db = openDatabase(':memory:');
    const store = new SqliteSessionStore(db, () => 1_000_000);
    const start = 2_000_000_000_000;
    store.set('sid-1', sessionExpiringAt(start));

    store.touch('sid-1', sessionExpiringAt(start + minute));
    expect(db.prepare('SELECT expires_at FROM sessions WHERE sid = ?').pluck().get('sid-1')).toBe(start + minute);
  });
});

describe('the session store’s writes', () => {
  it('commit without waiting for the disk, and leave the connection waiting for it again for everything else', () => {
    const db = openDatabase(':memory:');
    const store = new SqliteSessionStore(db);
    const pragmas = vi.spyOn(db, 'pragma');
    store.set('sid-1', sessionExpiringAt(2_000_000_000_000));
    expect(pragmas.mock.calls.map(([text]) => text)).toEqual(['synchronous = NORMAL', 'synchronous = FULL']);
    expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });
});
