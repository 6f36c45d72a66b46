import { describe, expect, it } from 'vitest';
import { openSqlite } from '../src/db/sqlite.ts';
import type { SqliteDatabase } from '../src/db/sqlite.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { DatabaseSessionStore } from '../src/web/database-session-store.ts';
import { recordingDatabase } from './support/recording-database.ts';

// The board's and the Done view's reads are checked in board.test.ts; these are the outbox's claim
// and the per-request session look-up, which run constantly on a table that only grows.

/** Every statement `use` runs, with the plan SQLite picks for it. */
async function plansOf(use: (database: SqliteDatabase) => Promise<unknown>): Promise<Array<{ sql: string; details: string[] }>> {
  const opened = openSqlite(':memory:');
  const db = opened.sqlite;
  const { database, sources } = recordingDatabase(opened);
  await use(database);
  return sources.map((sql) => {
    const named = [...sql.matchAll(/@(\w+)/g)].map((match) => match[1]!);
    const parameters = named.length > 0 ? [Object.fromEntries(named.map((name) => [name, name === 'limit' ? 1 : 'x']))] : [...sql.matchAll(/\?/g)].map(() => 'x');
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>;
    return { sql, details: plan.map((step) => step.detail) };
  });
}

describe('indexes', () => {
  it('the outbox’s claims, look-ups of what is due and lease handling never scan the messages', async () => {
    // Every step of the dispatcher's round and of a send's outcome.
    const plans = await plansOf(async (database) => {
      const messages = createMessageRepository(database);
      const claim = { owner: 'x', leaseMs: 1000 };
      const problem = { code: undefined, reasons: ['x'] };
      await messages.expireLeases();
      await messages.cancelOptedOut();
      await messages.claimChecks(1, claim);
      await messages.claimDue(1, claim);
      await messages.nextDueAt();
      await messages.renewLeases(claim);
      await messages.markSent(1, 'mb-1');
      await messages.markNotSent(1, 'x');
      await messages.markFailed(1, 'x', problem);
      await messages.reschedule(1, 'x', new Date(), problem);
      await messages.markChecking(1, 'x', problem);
      await messages.checkAgainAt(1, 'x', new Date());
      await messages.releaseClaims('x');
    });
    const outbox = plans.filter(({ sql }) => /state = '(queued|checking|sending)'|claimed_by = @owner/.test(sql));
    expect(outbox.length).toBeGreaterThanOrEqual(6);
    for (const { sql, details } of outbox) {
      for (const detail of details) expect(detail, sql).not.toMatch(/^SCAN (message|messages)\b(?! USING)/);
      expect(details.join('\n'), sql).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/);
    }
  });

  it('a request’s session is found by its primary key', async () => {
    const plans = await plansOf((database) => new Promise((resolve) => new DatabaseSessionStore(database).get('sid', resolve)));
    const get = plans.find(({ sql }) => sql.startsWith('SELECT data, expires_at') && sql.includes('FROM sessions WHERE sid'))!;
    expect(get.details.join('\n')).toMatch(/SEARCH sessions USING INDEX sqlite_autoindex_sessions_1 \(sid=\?\)/);
  });
});
