import type { Db } from '../db/database.ts';
import { orderStatuses } from '../orders/order-status.ts';
import type { OrderStatus } from '../orders/order-status.ts';

export type SettingsRepository = ReturnType<typeof createSettingsRepository>;

/** Admin settings kept in the database, so every server process on the file sees the same. */
export function createSettingsRepository(db: Db) {
  const selectTextDefaults = db.prepare('SELECT status FROM status_text_defaults WHERE text_customer = 1').pluck();
  const upsertTextDefault = db.prepare(`INSERT INTO status_text_defaults (status, text_customer) VALUES (?, ?)
    ON CONFLICT (status) DO UPDATE SET text_customer = excluded.text_customer`);
  const saveTextDefaults = db.transaction((ticked: ReadonlySet<OrderStatus>) => {
    for (const status of orderStatuses) upsertTextDefault.run(status, ticked.has(status) ? 1 : 0);
  });

  return {
    /** The statuses whose "Text the customer" box starts ticked on the board. */
    textDefaults: () => new Set(selectTextDefaults.all() as OrderStatus[]),
    /** Ticks exactly these statuses, in one transaction. */
    setTextDefaults: (ticked: ReadonlySet<OrderStatus>) => saveTextDefaults.immediate(ticked),
  };
}
