import type { Database } from '../db/database.ts';

/** At most this many quick answers, each one SMS part of plain text at most. */
export const quickAnswerLimits = { count: 10, length: 160 } as const;

export type QuickAnswerRepository = ReturnType<typeof createQuickAnswerRepository>;

/** The answers offered with one press on an order's page, as the admin ordered them. */
export function createQuickAnswerRepository(db: Database) {
  const sql = {
    list: 'SELECT body FROM quick_answers ORDER BY position',
    clear: 'DELETE FROM quick_answers',
    insert: 'INSERT INTO quick_answers (position, body) VALUES (?, ?)',
  };

  const list = async (): Promise<string[]> => (await db.all<{ body: string }>(sql.list)).map((row) => row.body);

  return {
    list,
    /** Makes the list exactly `bodies`, in one transaction; false when it already was. */
    replace: (bodies: readonly string[]) => db.transaction(async (): Promise<boolean> => {
      await db.lock('quick-answers');
      const current = await list();
      if (current.length === bodies.length && current.every((body, index) => body === bodies[index])) return false;
      await db.run(sql.clear);
      for (const [index, body] of bodies.entries()) await db.run(sql.insert, [index + 1, body]);
      return true;
    }),
  };
}
