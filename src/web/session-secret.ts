import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';

/**
 * The configured SESSION_SECRET, or else one generated on first start and kept in the database,
 * so a restart does not sign everybody out. Instances starting together agree on the first one stored.
 */
export async function resolveSessionSecret(db: Database, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const generated = randomBytes(32).toString('base64url');
  await db.run("INSERT INTO app_settings (key, value) VALUES ('session_secret', ?) ON CONFLICT (key) DO NOTHING", [generated]);
  return (await db.value<string>("SELECT value FROM app_settings WHERE key = 'session_secret'"))!;
}
