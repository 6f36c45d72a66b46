import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, wrapSqlite } from '../src/db/sqlite.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { messageStates } from '../src/notifications/message-states.ts';

const migrationsDir = join(import.meta.dirname, '..', 'src', 'db', 'migrations');

/** A database as it was before messages named the status change they announce. */
function databaseBeforeStatusChangeIds() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  for (const file of readdirSync(migrationsDir).filter((name) => name < '030').sort()) {
    db.exec(readFileSync(join(migrationsDir, file), 'utf8'));
    db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(file, '2026-11-01T00:00:00.000Z');
  }
  // The app fills message_states from the code's list at every start-up, as the server did then.
  const state = db.prepare('INSERT OR IGNORE INTO message_states (name) VALUES (?)');
  for (const name of messageStates) state.run(name);
  return db;
}

describe('migration 030: messages name the status change they announce', () => {
  it('links earlier messages to the change they announced, so they still block a duplicate of it', async () => {
    const db = databaseBeforeStatusChangeIds();
    db.exec(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at)
      VALUES ('mike', 'Mike Madeater', '+319876543211', 'Pizza', 'delayed', '2026-11-20T18:00:00.000Z', '2026-11-20T18:30:00.000Z')`);
    const change = db.prepare('INSERT INTO order_status_changes (id, order_id, status, changed_at) VALUES (?, ?, ?, ?)');
    change.run(1, 'mike', 'pending', '2026-11-20T18:00:00.000Z');
    change.run(2, 'mike', 'delayed', '2026-11-20T18:10:00.000Z');
    change.run(3, 'mike', 'confirmed', '2026-11-20T18:20:00.000Z');
    change.run(4, 'mike', 'delayed', '2026-11-20T18:30:00.000Z');
    const message = db.prepare(`INSERT INTO messages (id, order_id, order_status, body, recipient, reference, state, requested_at, updated_at)
      VALUES (?, 'mike', 'delayed', 'Hello', '+319876543211', ?, 'sent', ?, ?)`);
    message.run(1, 'first-delay', '2026-11-20T18:11:00.000Z', '2026-11-20T18:11:00.000Z');
    message.run(2, 'second-delay', '2026-11-20T18:31:00.000Z', '2026-11-20T18:31:00.000Z');

    migrate(db);

    expect(db.prepare('SELECT status_change_id FROM messages ORDER BY id').pluck().all()).toEqual([2, 4]);
    const again = await createMessageRepository(wrapSqlite(db)).queue({ orderId: 'mike', orderStatus: 'delayed', body: 'Hello', recipient: '+319876543211', reference: 'third', requestedBy: null }, { resend: false });
    expect(again).toMatchObject({ outcome: 'already-sent', message: { reference: 'second-delay' } });
  });
});
