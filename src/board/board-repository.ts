import type { Db } from '../db/database.ts';
import { orderColumns } from '../orders/order-repository.ts';
import type { Order } from '../orders/order-repository.ts';
import type { OrderStatus } from '../orders/order-status.ts';
import { orderStatuses } from '../orders/order-status.ts';

/** Where the Done view continues: the last row shown, by delivery time and rowid. */
export type DoneCursor = { at: string; position: number };

export type DoneOrder = Order & { position: number };

export type DonePage = { orders: DoneOrder[]; next: DoneCursor | undefined };

export const donePageSize = 50;

// A search matches a part of the customer's name, a run of the phone number's digits (so the
// national "06 1234 5678" finds "+31612345678"), the order's number of the day ("#17" or "17"),
// or the start of the order id.
const matches = `(@search IS NULL
  OR customer_name LIKE @nameLike ESCAPE '\\'
  OR (@digits IS NOT NULL AND phone LIKE @digits ESCAPE '\\')
  OR number = @number
  OR id LIKE @idPrefix ESCAPE '\\')`;

type SearchParameters = { search: string | null; nameLike: string | null; digits: string | null; number: number | null; idPrefix: string | null };

function searchParameters(search: string | undefined): SearchParameters {
  const text = search?.trim();
  if (!text) return { search: null, nameLike: null, digits: null, number: null, idPrefix: null };
  const number = /^#?\s*(\d{1,9})$/.exec(text)?.[1];
  const escape = (value: string) => value.replace(/[\\%_]/g, (character) => `\\${character}`);
  // Leading zeros are the national trunk prefix, not part of the stored international number.
  const digits = text.replace(/\D/g, '').replace(/^0+/, '');
  return {
    search: text,
    nameLike: `%${escape(text)}%`,
    digits: digits.length >= 4 ? `%${digits}%` : null,
    number: number === undefined ? null : Number(number),
    idPrefix: `${escape(text.toLowerCase())}%`,
  };
}

export type BoardRepository = ReturnType<typeof createBoardRepository>;

/**
 * The board's and the Done view's reads. Each one runs on an index (orders_active, orders_done, the
 * primary key): the board's cost follows the active orders, the Done view's the day it shows.
 */
export function createBoardRepository(db: Db) {
  const statements = {
    active: db.prepare(`SELECT ${orderColumns} FROM orders INDEXED BY orders_active
      WHERE status <> 'delivered' AND ${matches} ORDER BY created_at, rowid`),
    recentlyDone: db.prepare(`SELECT ${orderColumns} FROM orders INDEXED BY orders_done
      WHERE status = 'delivered' AND updated_at >= @since AND ${matches} ORDER BY updated_at, rowid`),
    activeCounts: db.prepare(`SELECT status, count(*) AS count FROM orders WHERE status <> 'delivered' GROUP BY status`),
    doneCount: db.prepare(`SELECT count(*) FROM orders WHERE status = 'delivered' AND updated_at >= @from AND updated_at < @to`).pluck(),
    done: db.prepare(`SELECT ${orderColumns}, rowid AS position FROM orders INDEXED BY orders_done
      WHERE status = 'delivered' AND updated_at >= @from AND updated_at < @to AND updated_at <= @beforeAt
        AND (updated_at, rowid) < (@beforeAt, @beforePosition) AND ${matches}
      ORDER BY updated_at DESC, rowid DESC LIMIT @limit`),
    byId: db.prepare(`SELECT ${orderColumns} FROM orders WHERE id = ?`),
  };

  return {
    /** Orders not yet delivered, oldest first, and those delivered since `doneSince`. */
    board(options: { doneSince: Date; search?: string }): { active: Order[]; recentlyDone: Order[] } {
      const search = searchParameters(options.search);
      return {
        active: statements.active.all(search) as Order[],
        recentlyDone: statements.recentlyDone.all({ ...search, since: options.doneSince.toISOString() }) as Order[],
      };
    },

    /** How many orders are in each status; delivered counts those delivered in [from, to). */
    counts(day: { from: Date; to: Date }): Record<OrderStatus, number> {
      const counts = Object.fromEntries(orderStatuses.map((status) => [status, 0])) as Record<OrderStatus, number>;
      for (const row of statements.activeCounts.all() as Array<{ status: OrderStatus; count: number }>) counts[row.status] = row.count;
      counts.delivered = statements.doneCount.get({ from: day.from.toISOString(), to: day.to.toISOString() }) as number;
      return counts;
    },

    /** Orders delivered in [from, to), newest first, a page at a time after `cursor`. */
    done(options: { from: Date; to: Date; search?: string; cursor?: DoneCursor }): DonePage {
      const rows = statements.done.all({
        ...searchParameters(options.search),
        from: options.from.toISOString(),
        to: options.to.toISOString(),
        beforeAt: options.cursor?.at ?? options.to.toISOString(),
        beforePosition: options.cursor?.position ?? Number.MAX_SAFE_INTEGER,
        limit: donePageSize + 1,
      }) as DoneOrder[];
      const orders = rows.slice(0, donePageSize);
      const last = orders.at(-1);
      return { orders, next: rows.length > donePageSize && last ? { at: last.updatedAt, position: last.position } : undefined };
    },

    findById: (id: string) => statements.byId.get(id) as Order | undefined,
  };
}
