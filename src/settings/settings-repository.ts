import type { Database } from '../db/database.ts';
import { orderStatuses } from '../orders/order-status.ts';
import type { OrderStatus } from '../orders/order-status.ts';

export type SettingsRepository = ReturnType<typeof createSettingsRepository>;

/** Admin settings kept in the database, so every server process on the file sees the same. */
export function createSettingsRepository(db: Database, options: { now?: () => number } = {}) {
  const now = options.now ?? (() => Date.now());
  const sql = {
    selectTextDefaults: 'SELECT status FROM status_text_defaults WHERE text_customer = 1',
    upsertTextDefault: `INSERT INTO status_text_defaults (status, text_customer) VALUES (?, ?)
      ON CONFLICT (status) DO UPDATE SET text_customer = excluded.text_customer`,
  };

  const textDefaults = async (): Promise<ReadonlySet<OrderStatus>> => new Set((await db.all<{ status: OrderStatus }>(sql.selectTextDefaults)).map((row) => row.status));
  // What the board reads on every page view and live batch, kept for a second: a statement per
  // board request for a setting changed a few times a year. This process's own change is seen at
  // once; another process's (a second instance) within the second.
  let kept: { at: number; defaults: Promise<ReadonlySet<OrderStatus>> } | undefined;

  return {
    /** The statuses whose "Text the customer" box starts ticked on the board, as stored now. */
    textDefaults,
    /** The same, read at most once a second (see `kept`): for the board. */
    recentTextDefaults: (): Promise<ReadonlySet<OrderStatus>> => {
      if (kept === undefined || now() - kept.at >= 1000) {
        const reading = { at: now(), defaults: textDefaults() };
        kept = reading;
        reading.defaults.catch(() => {
          if (kept === reading) kept = undefined;
        });
      }
      return kept.defaults;
    },
    /** Ticks exactly these statuses, in one transaction. */
    setTextDefaults: async (ticked: ReadonlySet<OrderStatus>) => {
      await db.transaction(async () => {
        await db.lock('settings');
        for (const status of orderStatuses) await db.run(sql.upsertTextDefault, [status, ticked.has(status) ? 1 : 0]);
      });
      kept = undefined;
    },
  };
}
