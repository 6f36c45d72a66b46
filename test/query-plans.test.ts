import { describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import { openSqliteConnection } from '../src/db/sqlite.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { SqliteSessionStore } from '../src/web/sqlite-session-store.ts';

// The board's and the Done view's reads are checked in board.test.ts; these are the outbox's claim
// and the per-request session look-up, which run constantly on a table that only grows.

/** Every statement the factory prepares, with the plan SQLite picks for it. */
function plansOf(build: (db: Db) => unknown): Array<{ sql: string; details: string[] }> {
  const db = openSqliteConnection(':memory:');
  const sources: string[] = [];
  const recording = { prepare: (sql: string) => { sources.push(sql); return db.prepare(sql); }, transaction: db.transaction.bind(db), pragma: db.pragma.bind(db) } as unknown as Db;
  build(recording);
  return sources.map((sql) => {
    const named = [...sql.matchAll(/@(\w+)/g)].map((match) => match[1]!);
    const parameters = named.length > 0 ? [Object.fromEntries(named.map((name) => [name, name === 'limit' ? 1 : 'x']))] : [...sql.matchAll(/\?/g)].map(() => 'x');
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>;
    return { sql, details: plan.map((step) => step.detail) };
  });
}

describe('indexes', () => {
  it('the outbox’s claims, look-ups of what is due and lease handling never scan the messages', () => {
    const plans = plansOf((db) => createMessageRepository(db));
    const outbox = plans.filter(({ sql }) => /state = '(queued|checking|sending)'|claimed_by = @owner/.test(sql));
    expect(outbox.length).toBeGreaterThanOrEqual(6);
    for (const { sql, details } of outbox) {
      for (const detail of details) expect(detail, sql).not.toMatch(/^SCAN (message|messages)\b(?! USING)/);
      expect(details.join('\n'), sql).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/);
    }
  });

  it('a request’s session is found by its primary key', () => {
    const plans = plansOf((db) => new SqliteSessionStore(db));
    const get = plans.find(({ sql }) => sql.startsWith('SELECT data FROM sessions'))!;
    expect(get.details.join('\n')).toMatch(/SEARCH sessions USING INDEX sqlite_autoindex_sessions_1 \(sid=\?\)/);
  });
});
