import type { Database } from '../db/database.ts';
import { orderColumns } from '../orders/order-repository.ts';
import type { Order } from '../orders/order-repository.ts';
import type { OrderStatus } from '../orders/order-status.ts';
import { activeOrderSql, finishedOrderSql, orderStatuses } from '../orders/order-status.ts';
import type { FinishedStatus } from '../orders/order-status.ts';

/** Where the Done view continues: the last row shown, by delivery time and rowid. */
export type DoneCursor = { at: string; position: number };

export type DoneOrder = Order & { position: number };

export type DonePage = { orders: DoneOrder[]; next: DoneCursor | undefined };

/** Which finished orders the Done view shows: a day, a search, and delivered or cancelled only. */
export type DoneOptions = { from: Date; to: Date; search?: string; status?: FinishedStatus };

export const donePageSize = 50;

// A search matches a part of the customer's name or of the delivery address (in any case), a run of
// the phone number's digits (so the national "06 1234 5678" finds "+31612345678"), the order's
// number of the day ("#17" or "17"), or the start of the order id. A number alone is not looked for
// in addresses: "17" is order #17, not every house number and postcode with a 17 in it. The casts
// give PostgreSQL the parameters' types.
const matches = (like: string) => `(CAST(@search AS TEXT) IS NULL
  OR customer_name ${like} @nameLike ESCAPE '\\'
  OR (CAST(@addressLike AS TEXT) IS NOT NULL AND delivery_address ${like} @addressLike ESCAPE '\\')
  OR (CAST(@digits AS TEXT) IS NOT NULL AND phone LIKE @digits ESCAPE '\\')
  OR number = @number
  OR id LIKE @idPrefix ESCAPE '\\')`;

type SearchParameters = { search: string | null; nameLike: string | null; addressLike: string | null; digits: string | null; number: number | null; idPrefix: string | null };

function searchParameters(search: string | undefined): SearchParameters {
  const text = search?.trim();
  if (!text) return { search: null, nameLike: null, addressLike: null, digits: null, number: null, idPrefix: null };
  const number = /^#?\s*(\d{1,9})$/.exec(text)?.[1];
  const escape = (value: string) => value.replace(/[\\%_]/g, (character) => `\\${character}`);
  // Leading zeros are the national trunk prefix, not part of the stored international number.
  const digits = text.replace(/\D/g, '').replace(/^0+/, '');
  return {
    search: text,
    nameLike: `%${escape(text)}%`,
    addressLike: number === undefined ? `%${escape(text)}%` : null,
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
export function createBoardRepository(db: Database) {
  // SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's ILIKE does. SQLite is told which
  // index to use (its planner, without statistics, may pick another); PostgreSQL plans by its own.
  const search = matches(db.pick({ sqlite: 'LIKE', postgres: 'ILIKE' }));
  const indexedBy = (index: string) => db.pick({ sqlite: `INDEXED BY ${index}`, postgres: '' });
  // Orders for a later day wait off the queue (laterDays) until their day: NULL keeps them on it (a search).
  const notLater = `(CAST(@laterFrom AS TEXT) IS NULL OR scheduled_for IS NULL OR scheduled_for < @laterFrom)`;
  const sql = {
    active: `SELECT ${orderColumns} FROM orders ${indexedBy('orders_active')}
      WHERE ${activeOrderSql} AND ${notLater} AND ${search} ORDER BY created_at, rowid`,
    laterDays: `SELECT ${orderColumns} FROM orders ${indexedBy('orders_active')}
      WHERE ${activeOrderSql} AND scheduled_for >= @laterFrom ORDER BY scheduled_for, rowid`,
    recentlyDone: `SELECT ${orderColumns} FROM orders ${indexedBy('orders_done')}
      WHERE ${finishedOrderSql} AND updated_at >= @since AND ${search} ORDER BY updated_at, rowid`,
    activeCounts: `SELECT status, count(*) AS "count" FROM orders WHERE ${activeOrderSql} AND ${notLater} GROUP BY status`,
    laterCount: `SELECT count(*) FROM orders WHERE ${activeOrderSql} AND scheduled_for >= @laterFrom`,
    doneCounts: `SELECT status, count(*) AS "count" FROM orders
      WHERE ${finishedOrderSql} AND updated_at >= @from AND updated_at < @to GROUP BY status`,
    done: `SELECT ${orderColumns}, rowid AS "position" FROM orders ${indexedBy('orders_done')}
      WHERE ${finishedOrderSql} AND updated_at >= @from AND updated_at < @to AND updated_at <= @beforeAt
        AND (updated_at, rowid) < (@beforeAt, @beforePosition) AND ${search}
        AND (CAST(@status AS TEXT) IS NULL OR status = @status)
      ORDER BY updated_at DESC, rowid DESC LIMIT @limit`,
    byId: `SELECT ${orderColumns} FROM orders WHERE id = ?`,
  };

  /**
   * Orders finished (delivered or cancelled, or only those in `status`) in [from, to), newest first,
   * a page at a time after `cursor`.
   */
  async function done(options: DoneOptions & { cursor?: DoneCursor }): Promise<DonePage> {
    const rows = await db.all<DoneOrder>(sql.done, {
      ...searchParameters(options.search),
      status: options.status ?? null,
      from: options.from.toISOString(),
      to: options.to.toISOString(),
      beforeAt: options.cursor?.at ?? options.to.toISOString(),
      beforePosition: options.cursor?.position ?? Number.MAX_SAFE_INTEGER,
      limit: donePageSize + 1,
    });
    const orders = rows.slice(0, donePageSize);
    const last = orders.at(-1);
    return { orders, next: rows.length > donePageSize && last ? { at: last.updatedAt, position: last.position } : undefined };
  }

  /** How many orders were delivered and how many cancelled in [from, to). */
  async function doneCounts(day: { from: Date; to: Date }): Promise<Record<FinishedStatus, number>> {
    const counts = { delivered: 0, cancelled: 0 };
    for (const row of await db.all<{ status: FinishedStatus; count: number }>(sql.doneCounts, { from: day.from.toISOString(), to: day.to.toISOString() })) counts[row.status] = row.count;
    return counts;
  }

  return {
    /**
     * Active orders, oldest first, and those finished (delivered or cancelled) since `doneSince`.
     * Orders for later from `laterFrom` on (the next day) are left out, unless searched for.
     */
    async board(options: { doneSince: Date; laterFrom: Date; search?: string }): Promise<{ active: Order[]; recentlyDone: Order[] }> {
      const search = searchParameters(options.search);
      return {
        active: await db.all<Order>(sql.active, { ...search, laterFrom: options.search?.trim() ? null : options.laterFrom.toISOString() }),
        recentlyDone: await db.all<Order>(sql.recentlyDone, { ...search, since: options.doneSince.toISOString() }),
      };
    },

    /**
     * How many orders are in each status; delivered and cancelled count those finished in [from,
     * to), the active ones leave out orders for a later day (from `to` on), counted as laterDays.
     */
    async counts(day: { from: Date; to: Date }): Promise<Record<OrderStatus, number> & { laterDays: number }> {
      const counts = Object.fromEntries(orderStatuses.map((status) => [status, 0])) as Record<OrderStatus, number>;
      const laterFrom = day.to.toISOString();
      for (const row of await db.all<{ status: OrderStatus; count: number }>(sql.activeCounts, { laterFrom })) counts[row.status] = row.count;
      return { ...counts, ...(await doneCounts(day)), laterDays: Number(await db.value<number>(sql.laterCount, { laterFrom })) };
    },

    /** The orders for a later day than the one ending at `laterFrom`, soonest first. */
    laterDays: (laterFrom: Date) => db.all<Order>(sql.laterDays, { laterFrom: laterFrom.toISOString() }),

    doneCounts,

    done,

    /** Every page of a day's finished orders (the Done view's export), newest first. */
    async *doneDay(options: DoneOptions): AsyncGenerator<DoneOrder[]> {
      let cursor: DoneCursor | undefined;
      do {
        const page = await done({ ...options, cursor });
        yield page.orders;
        cursor = page.next;
      } while (cursor);
    },

    findById: (id: string) => db.get<Order>(sql.byId, [id]),
  };
}
