import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { messageStates } from '../notifications/message-states.ts';

export type Db = Database.Database;

const migrationsDir = join(import.meta.dirname, 'migrations');

/**
 * The one place the database is opened. Orders and messages must survive a power cut, so commits
 * wait for the disk (synchronous = FULL) — https://www.sqlite.org/pragma.html#pragma_synchronous
 */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // First, so even the switch to WAL below waits for another process instead of failing with
  // SQLITE_BUSY: a second writer waits up to 5 s.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  syncMessageStates(db);
  return db;
}

/**
 * Runs `write` committing without waiting for the disk (synchronous = NORMAL, which in WAL mode
 * keeps the database consistent but may lose the latest such commits in a power cut), then goes
 * back to FULL. For writes whose loss costs nothing but a repeat — a session's flash message or
 * idle timer — so that a status change waits for one disk flush, not two. The next FULL commit
 * flushes these too. https://www.sqlite.org/pragma.html#pragma_synchronous
 */
export function withoutWaitingForDisk<T>(db: Db, write: () => T): T {
  let switches = synchronousSwitches.get(db);
  if (!switches) {
    // Prepared once per connection: db.pragma() would prepare the statement on every call.
    switches = { normal: db.prepare('PRAGMA synchronous = NORMAL'), full: db.prepare('PRAGMA synchronous = FULL') };
    synchronousSwitches.set(db, switches);
  }
  switches.normal.run();
  try {
    return write();
  } finally {
    switches.full.run();
  }
}

const synchronousSwitches = new WeakMap<Db, { normal: Database.Statement; full: Database.Statement }>();

/** The states a message row may take come from the one list in the code. */
function syncMessageStates(db: Db): void {
  const insert = db.prepare('INSERT OR IGNORE INTO message_states (name) VALUES (?)');
  db.transaction(() => {
    for (const state of messageStates) insert.run(state);
  }).immediate();
}

/** Applies the numbered .sql files in order, each in its own transaction, and records them. */
export function migrate(db: Db): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const applied = new Set(
    db.prepare('SELECT name FROM schema_migrations').pluck().all() as string[],
  );
  const pending = readdirSync(migrationsDir)
    .filter((file) => /^\d+-.+\.sql$/.test(file) && !applied.has(file))
    .sort();
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE name = ?').pluck();
  for (const file of pending) {
    const sql = readFileSync(join(migrationsDir, file), 'utf8');
    // Checked again under the write lock: a second process starting at the same time may have
    // applied it a moment ago.
    db.transaction(() => {
      if (isApplied.get(file)) return;
      db.exec(sql);
      record.run(file, new Date().toISOString());
    }).immediate();
  }
  return pending;
}
