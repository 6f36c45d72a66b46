import session from 'express-session';
import type { SessionData } from 'express-session';
import type { Database } from '../db/database.ts';

const dayMs = 24 * 60 * 60 * 1000;

/**
 * express-session store in our own database, so sessions survive restarts, live beside the data
 * they protect and are shared by every instance on it. Expired rows are ignored on read and swept
 * on write.
 */
export class DatabaseSessionStore extends session.Store {
  private readonly db: Database;
  private readonly now: () => number;
  private lastSweep = 0;
  /**
   * The expiry each session had in the database when this process last read or wrote it: a touch
   * that would not move it a minute forward is answered from here, without a statement.
   */
  private readonly storedExpiry = new Map<string, number>();
  private readonly sql = {
    get: 'SELECT data, expires_at AS "expiresAt" FROM sessions WHERE sid = ? AND expires_at > ?',
    set: `INSERT INTO sessions (sid, data, expires_at, staff_id) VALUES (?, ?, ?, ?)
      ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, staff_id = excluded.staff_id`,
    // Only when the stored expiry is a minute or more behind: the idle timeout counts in minutes,
    // and an update that matches no row commits nothing, so most requests write nothing to disk.
    touch: 'UPDATE sessions SET expires_at = @expiresAt WHERE sid = @sid AND expires_at <= @staleBefore',
    destroy: 'DELETE FROM sessions WHERE sid = ?',
    sweep: 'DELETE FROM sessions WHERE expires_at <= ?',
  };

  constructor(db: Database, now: () => number = () => Date.now()) {
    super();
    this.db = db;
    this.now = now;
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    this.db.get<{ data: string; expiresAt: number }>(this.sql.get, [sid, this.now()]).then(
      (row) => {
        if (row) this.remember(sid, row.expiresAt);
        callback(null, row === undefined ? null : (JSON.parse(row.data) as SessionData));
      },
      (error: unknown) => callback(error),
    );
  }

  override set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    // staff_id is kept in its own column so disabling an account can delete its sessions.
    // A session's data (the sign-in) lost in a power cut means signing in again at
    // worst; ending a session (destroy) still waits for the disk.
    const expiresAt = this.expiresAt(data);
    this.db.run(this.sql.set, [sid, JSON.stringify(data), expiresAt, data.staffId ?? null], { waitForDisk: false })
      .then(() => this.remember(sid, expiresAt))
      .then(() => this.sweepNowAndThen())
      .then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  override touch(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    const expiresAt = this.expiresAt(data);
    const staleBefore = expiresAt - 60_000;
    const stored = this.storedExpiry.get(sid);
    // What the statement's own condition would find: nothing to write.
    if (stored !== undefined && stored > staleBefore) {
      callback?.();
      return;
    }
    this.db.run(this.sql.touch, { expiresAt, sid, staleBefore }, { waitForDisk: false })
      .then((result) => {
        if (result.changes > 0) this.remember(sid, expiresAt);
      })
      .then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.storedExpiry.delete(sid);
    this.db.run(this.sql.destroy, [sid]).then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  private remember(sid: string, expiresAt: number): void {
    // Only a cache of what a statement would find: a process with more sessions than this starts over.
    if (this.storedExpiry.size >= 10_000 && !this.storedExpiry.has(sid)) this.storedExpiry.clear();
    this.storedExpiry.set(sid, expiresAt);
  }

  private expiresAt(data: SessionData): number {
    const expires = data.cookie?.expires;
    return expires ? new Date(expires).getTime() : this.now() + dayMs;
  }

  private async sweepNowAndThen(): Promise<void> {
    const now = this.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    await this.db.run(this.sql.sweep, [now]);
  }
}
