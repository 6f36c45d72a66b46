import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';

/**
 * The configured SESSION_SECRET, or else one generated on first start and kept in the
 * database, so a restart does not sign everybody out.
 */
export function resolveSessionSecret(db: Db, configured: string | undefined): string {
  if (configured) return configured;
  const generated = randomBytes(32).toString('base64url');
  db.prepare("INSERT INTO app_settings (key, value) VALUES ('session_secret', ?) ON CONFLICT (key) DO NOTHING").run(generated);
  return db.prepare("SELECT value FROM app_settings WHERE key = 'session_secret'").pluck().get() as string;
}
