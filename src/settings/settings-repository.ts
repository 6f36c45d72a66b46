import type { Database } from '../db/database.ts';
import { orderStatuses } from '../orders/order-status.ts';
import type { OrderStatus } from '../orders/order-status.ts';

export type SettingsRepository = ReturnType<typeof createSettingsRepository>;

/** Admin settings kept in the database, so every server process on the file sees the same. */
export function createSettingsRepository(db: Database) {
  const sql = {
    selectTextDefaults: 'SELECT status FROM status_text_defaults WHERE text_customer = 1',
    upsertTextDefault: `INSERT INTO status_text_defaults (status, text_customer) VALUES (?, ?)
      ON CONFLICT (status) DO UPDATE SET text_customer = excluded.text_customer`,
  };

  return {
    /** The statuses whose "Text the customer" box starts ticked on the board. */
    textDefaults: async () => new Set((await db.all<{ status: OrderStatus }>(sql.selectTextDefaults)).map((row) => row.status)),
    /** Ticks exactly these statuses, in one transaction. */
    setTextDefaults: (ticked: ReadonlySet<OrderStatus>) => db.transaction(async () => {
      await db.lock('settings');
      for (const status of orderStatuses) await db.run(sql.upsertTextDefault, [status, ticked.has(status) ? 1 : 0]);
    }),
  };
}
