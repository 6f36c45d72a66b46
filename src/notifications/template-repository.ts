import type { Database } from '../db/database.ts';
import type { OrderStatus } from '../orders/order-status.ts';
import { defaultTemplates } from './message-templates.ts';
import type { TemplateSource } from './message-templates.ts';

export type TemplateVersion = {
  id: number;
  status: OrderStatus;
  body: string;
  /** The account that saved it, or null once that account is gone. */
  savedBy: string | null;
  savedAt: string;
};

export type TemplateRepository = ReturnType<typeof createTemplateRepository>;

/**
 * The texts admins edit, every version kept. As the notifier's TemplateSource it reads the newest
 * version for each message (one indexed read), so a text saved by any process on the same
 * database is the one the next message uses — there is no cache to go stale.
 */
export function createTemplateRepository(db: Database) {
  const sql = {
    newest: 'SELECT body FROM message_template_versions WHERE status = ? ORDER BY id DESC LIMIT 1',
    insert: 'INSERT INTO message_template_versions (status, body, saved_by, saved_at) VALUES (?, ?, ?, ?)',
    versionsOf: `SELECT v.id, v.status, v.body, s.username AS "savedBy", v.saved_at AS "savedAt"
      FROM message_template_versions v LEFT JOIN staff s ON s.id = v.saved_by
      WHERE v.status = ? ORDER BY v.id DESC LIMIT ?`,
  };

  const textFor = async (status: OrderStatus): Promise<string> => (await db.value<string>(sql.newest, [status])) ?? defaultTemplates[status];

  return {
    textFor,

    /**
     * Records a new version unless the text is already the current one (then false). Compared and
     * written in one transaction under the templates' lock, so two admins saving at once both get a version.
     */
    save: (input: { status: OrderStatus; body: string; savedBy: number | null }) => db.transaction(async (): Promise<boolean> => {
      await db.lock('templates');
      if ((await textFor(input.status)) === input.body) return false;
      await db.run(sql.insert, [input.status, input.body, input.savedBy, new Date().toISOString()]);
      return true;
    }),

    /** The newest versions of one status first, at most `limit`. */
    versions(status: OrderStatus, limit = 20): Promise<TemplateVersion[]> {
      return db.all<TemplateVersion>(sql.versionsOf, [status, limit]);
    },
  } satisfies TemplateSource & Record<string, unknown>;
}
