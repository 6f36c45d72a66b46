import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { migrate as migratePostgres } from '../src/db/postgres.ts';
import { migrate } from '../src/db/sqlite.ts';
import { messageStates } from '../src/notifications/message-states.ts';
import { createTestLocation, describePostgres } from './support/engines.ts';

const migrationsDir = join(import.meta.dirname, '..', 'src', 'db', 'migrations');
const postgresMigrationsDir = join(import.meta.dirname, '..', 'src', 'db', 'migrations-postgres');

/** A database as it was before orders could be cancelled, with foreign keys on as the app opens it. */
function databaseBeforeCancelling() {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  for (const file of readdirSync(migrationsDir).filter((name) => /^\d+-.+\.sql$/.test(name) && name < '100').sort()) {
    db.exec(readFileSync(join(migrationsDir, file), 'utf8'));
    db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(file, '2026-12-01T00:00:00.000Z');
  }
  const state = db.prepare('INSERT OR IGNORE INTO message_states (name) VALUES (?)');
  for (const name of messageStates) state.run(name);
  return db;
}

function fill(db: Database.Database) {
  const order = db.prepare(`INSERT INTO orders (id, number, day, customer_name, phone, items, status, created_at, updated_at, delivered_at, delivery_address)
    VALUES (?, ?, '2026-12-01', ?, ?, '1 x Margherita', ?, '2026-12-01T18:00:00.000Z', '2026-12-01T18:30:00.000Z', ?, 'Kerkstraat 12')`);
  order.run('a'.repeat(32), 1, 'Ada', '+31611111111', 'delivered', '2026-12-01T18:30:00.000Z');
  order.run('b'.repeat(32), 2, 'Bob', '+31622222222', 'confirmed', null);
  // A gap in the rowids, as deleted rows leave: the copy must keep them, not renumber.
  db.prepare("UPDATE orders SET rowid = 40 WHERE id = ?").run('b'.repeat(32));
  const change = db.prepare('INSERT INTO order_status_changes (order_id, status, changed_at) VALUES (?, ?, ?)');
  change.run('a'.repeat(32), 'pending', '2026-12-01T18:00:00.000Z');
  change.run('a'.repeat(32), 'delivered', '2026-12-01T18:30:00.000Z');
  change.run('b'.repeat(32), 'confirmed', '2026-12-01T18:10:00.000Z');
  db.prepare(`INSERT INTO messages (order_id, order_status, body, recipient, reference, state, requested_at, updated_at)
    VALUES (?, 'delivered', 'Bon appetit', '+31611111111', 'ref-1', 'delivered', '2026-12-01T18:30:00.000Z', '2026-12-01T18:31:00.000Z')`).run('a'.repeat(32));
  db.prepare("INSERT INTO order_edits (order_id, edited_at, changes) VALUES (?, '2026-12-01T18:05:00.000Z', '{}')").run('b'.repeat(32));
  // The admin had chosen not to text on delivery: that choice stays.
  db.prepare("UPDATE status_text_defaults SET text_customer = 0 WHERE status = 'delivered'").run();
}

const countOf = (db: Database.Database, table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();

describe('migration 100: orders can be cancelled', () => {
  it('keeps every order with its rowid, history, messages and corrections, and the admin’s text defaults', () => {
    const db = databaseBeforeCancelling();
    fill(db);
    const before = db.prepare('SELECT rowid, * FROM orders ORDER BY id').all() as Array<Record<string, unknown>>;

    expect(migrate(db)).toContain('100-cancelled-orders.sql');

    // Every column the orders had, as it was; later migrations' new columns aside.
    const after = db.prepare('SELECT rowid, * FROM orders ORDER BY id').all() as Array<Record<string, unknown>>;
    expect(after.map((row) => Object.fromEntries(Object.keys(before[0]!).map((column) => [column, row[column]])))).toEqual(before);
    expect(countOf(db, 'order_status_changes')).toBe(3);
    expect(countOf(db, 'messages')).toBe(1);
    expect(countOf(db, 'order_edits')).toBe(1);
    expect(db.prepare('SELECT status, text_customer FROM status_text_defaults ORDER BY status').raw().all()).toEqual([
      ['cancelled', 0], ['confirmed', 1], ['delayed', 1], ['delivered', 0], ['pending', 0],
    ]);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('takes the new status, still refuses one outside the list, and leaves foreign keys on and enforced', () => {
    const db = databaseBeforeCancelling();
    fill(db);
    migrate(db);

    db.prepare("UPDATE orders SET status = 'cancelled' WHERE id = ?").run('b'.repeat(32));
    expect(() => db.prepare("UPDATE orders SET status = 'eaten' WHERE id = ?").run('b'.repeat(32))).toThrow(/CHECK constraint failed/);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() => db.prepare("INSERT INTO order_status_changes (order_id, status, changed_at) VALUES ('nobody', 'pending', 'x')").run()).toThrow(/FOREIGN KEY/);
    // The children still point at orders: deleting an order still takes its history along.
    db.prepare('DELETE FROM orders WHERE id = ?').run('a'.repeat(32));
    expect(countOf(db, 'order_status_changes')).toBe(1);
    expect(countOf(db, 'messages')).toBe(0);
  });

  it('makes the board’s triggers again: new orders, changes and opt-outs reach open boards, a cancelled order’s opt-out does not', () => {
    const db = databaseBeforeCancelling();
    fill(db);
    migrate(db);
    db.prepare("UPDATE orders SET status = 'cancelled' WHERE id = ?").run('b'.repeat(32));
    db.prepare(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at)
      VALUES (?, 'Cy', '+31622222222', 'Soup', 'pending', '2026-12-01T19:00:00.000Z', '2026-12-01T19:00:00.000Z')`).run('c'.repeat(32));
    db.exec('DELETE FROM board_events');

    const event = db.prepare("INSERT INTO opt_out_events (phone, opted_out, source, keyword, at) VALUES ('+31622222222', 1, 'keyword', 'STOP', 'now')").run();
    db.prepare('INSERT INTO opted_out_phones (phone, event_id) VALUES (?, ?)').run('+31622222222', event.lastInsertRowid);

    expect(db.prepare('SELECT kind, order_id FROM board_events').raw().all()).toEqual([['order-changed', 'c'.repeat(32)]]);
  });

  it('is applied once', () => {
    const db = databaseBeforeCancelling();
    migrate(db);
    expect(migrate(db)).toEqual([]);
  });
});

describePostgres('migration 050 on PostgreSQL: orders can be cancelled', (engine) => {
  it('keeps the orders and the admin’s text defaults, takes the new status, and counts cancelled orders as finished in the indexes and the opt-out triggers', async () => {
    const place = await createTestLocation(engine);
    const pool = new pg.Pool({ connectionString: (place.location as { url: string }).url, max: 1 });
    onTestFinished(() => pool.end());
    // The schema as it was before: the migrations up to 040, in a folder of their own.
    const before = mkdtempSync(join(tmpdir(), 'order-desk-migrations-'));
    onTestFinished(() => rmSync(before, { recursive: true, force: true }));
    for (const file of readdirSync(postgresMigrationsDir).filter((name) => name < '050')) copyFileSync(join(postgresMigrationsDir, file), join(before, file));
    await migratePostgres(pool, before);
    await pool.query(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at)
      VALUES ('${'a'.repeat(32)}', 'Ada', '+31611111111', 'Soup', 'confirmed', '2026-12-01T18:00:00.000Z', '2026-12-01T18:00:00.000Z'),
             ('${'b'.repeat(32)}', 'Bob', '+31622222222', 'Pizza', 'delivered', '2026-12-01T18:00:00.000Z', '2026-12-01T18:30:00.000Z')`);
    await pool.query("UPDATE status_text_defaults SET text_customer = 0 WHERE status = 'delivered'");

    expect(await migratePostgres(pool)).toContain('050-cancelled-orders.sql');

    expect((await pool.query('SELECT id, status FROM orders ORDER BY id')).rows).toEqual([{ id: 'a'.repeat(32), status: 'confirmed' }, { id: 'b'.repeat(32), status: 'delivered' }]);
    expect((await pool.query('SELECT status, text_customer FROM status_text_defaults ORDER BY status')).rows.map((row) => [row.status, row.text_customer])).toEqual([
      ['cancelled', 0], ['confirmed', 1], ['delayed', 1], ['delivered', 0], ['pending', 0],
    ]);
    await pool.query(`UPDATE orders SET status = 'cancelled' WHERE id = '${'a'.repeat(32)}'`);
    await expect(pool.query(`UPDATE orders SET status = 'eaten' WHERE id = '${'a'.repeat(32)}'`)).rejects.toThrow(/orders_status_check/);
    const indexes = Object.fromEntries((await pool.query("SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('orders_active', 'orders_done')")).rows.map((row) => [row.indexname, row.indexdef]));
    expect(indexes.orders_active).toMatch(/WHERE \(status <> ALL \(ARRAY\['delivered'::text, 'cancelled'::text\]\)\)/);
    expect(indexes.orders_done).toMatch(/WHERE \(status = ANY \(ARRAY\['delivered'::text, 'cancelled'::text\]\)\)/);
    // Ada's order is cancelled: her opt-out is no news for the board.
    await pool.query('DELETE FROM board_events');
    const event = await pool.query("INSERT INTO opt_out_events (phone, opted_out, source, keyword, at) VALUES ('+31611111111', 1, 'keyword', 'STOP', 'now') RETURNING id");
    await pool.query('INSERT INTO opted_out_phones (phone, event_id) VALUES ($1, $2)', ['+31611111111', event.rows[0].id]);
    expect((await pool.query('SELECT count(*)::int AS n FROM board_events')).rows[0].n).toBe(0);
  });
});
