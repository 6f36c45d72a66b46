// `npm run db:migrate`: brings the configured database (DATABASE_URL, or the SQLite file at
// DATABASE_PATH) up to date and says which migrations it applied. The server does the same at
// start-up; this is for applying them ahead of a deploy, or checking that nothing is pending.
import 'dotenv/config';
import { resolve } from 'node:path';
import { loadConfigOrExit } from '../config.ts';
import { migrateDatabase } from './database.ts';

const config = loadConfigOrExit(process.env);
const url = config.databaseUrl;
const where = url ? `PostgreSQL ${withoutPassword(url)}` : `SQLite ${resolve(config.databasePath)}`;

try {
  const applied = await migrateDatabase(url ? { url } : { path: config.databasePath });
  if (applied.length === 0) {
    console.log(`${where}: up to date, no migration to apply.`);
  } else {
    console.log(`${where}: applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:`);
    for (const name of applied) console.log(`  ${name}`);
  }
} catch (error) {
  console.error(`${where}: ${(error as Error).message}`);
  process.exitCode = 1;
}

/** The address to print: never the password. */
function withoutPassword(address: string): string {
  const parsed = new URL(address);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
