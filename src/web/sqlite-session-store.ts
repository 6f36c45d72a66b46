import session from 'express-session';
import type { SessionData } from 'express-session';
import type { Db } from '../db/database.ts';
import { withoutWaitingForDisk } from '../db/sqlite.ts';

const dayMs = 24 * 60 * 60 * 1000;

/**
 * express-session store in our own SQLite database, so sessions survive restarts and live
 * beside the data they protect. Expired rows are ignored on read and swept on write.
 */
export class SqliteSessionStore extends session.Store {
  private readonly statements;
  private readonly db: Db;
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(db: Db, now: () => number = Date.now) {
    super();
    this.db = db;
    this.now = now;
    this.statements = {
      get: db.prepare('SELECT data FROM sessions WHERE sid = ? AND expires_at > ?').pluck(),
      set: db.prepare(`INSERT INTO sessions (sid, data, expires_at, staff_id) VALUES (?, ?, ?, ?)
        ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, staff_id = excluded.staff_id`),
      // Only when the stored expiry is a minute or more behind: the idle timeout counts in minutes,
      // and an update that matches no row commits nothing, so most requests write nothing to disk.
      touch: db.prepare('UPDATE sessions SET expires_at = @expiresAt WHERE sid = @sid AND expires_at <= @expiresAt - 60000'),
      destroy: db.prepare('DELETE FROM sessions WHERE sid = ?'),
      sweep: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    };
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    try {
      const data = this.statements.get.get(sid, this.now()) as string | undefined;
      callback(null, data === undefined ? null : (JSON.parse(data) as SessionData));
    } catch (error) {
      callback(error);
    }
  }

  override set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    try {
      // staff_id is kept in its own column so disabling an account can delete its sessions.
      // A session's data (sign-in, flash message) lost in a power cut means signing in again at
      // worst; ending a session (destroy) still waits for the disk.
      withoutWaitingForDisk(this.db, () => this.statements.set.run(sid, JSON.stringify(data), this.expiresAt(data), data.staffId ?? null));
      this.sweepNowAndThen();
      callback?.();
    } catch (error) {
      callback?.(error);
    }
  }

  override touch(sid: string, data: SessionData, callback?: () => void): void {
    withoutWaitingForDisk(this.db, () => this.statements.touch.run({ expiresAt: this.expiresAt(data), sid }));
    callback?.();
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    try {
      this.statements.destroy.run(sid);
      callback?.();
    } catch (error) {
      callback?.(error);
    }
  }

  private expiresAt(data: SessionData): number {
    const expires = data.cookie?.expires;
    return expires ? new Date(expires).getTime() : this.now() + dayMs;
  }

  private sweepNowAndThen(): void {
    const now = this.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    this.statements.sweep.run(now);
  }
}
