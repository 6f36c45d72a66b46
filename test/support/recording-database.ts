import type { Params } from '../../src/db/database.ts';
import type { SqliteDatabase } from '../../src/db/sqlite.ts';

/**
 * The database as the repositories see it, noting the SQL of every statement they run (once per
 * text), for tests that ask SQLite how it plans each one (EXPLAIN QUERY PLAN).
 */
export function recordingDatabase(database: SqliteDatabase): { database: SqliteDatabase; sources: string[] } {
  const sources: string[] = [];
  const note = (sql: string) => {
    if (!sources.includes(sql)) sources.push(sql);
  };
  const recording: SqliteDatabase = Object.assign(Object.create(database) as SqliteDatabase, {
    all: async (sql: string, params?: Params) => (note(sql), (await database.all(sql, params))),
    get: (sql: string, params?: Params) => (note(sql), database.get(sql, params)),
    value: async (sql: string, params?: Params) => (note(sql), (await database.value(sql, params))),
    run: async (sql: string, params?: Params, options?: { waitForDisk?: boolean }) => (note(sql), (await database.run(sql, params, options))),
  });
  return { database: recording, sources };
}
