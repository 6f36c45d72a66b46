import type { Database } from '../db/database.ts';
import { activeOrderSql } from '../orders/order-status.ts';

/** A text a customer sent back that was not an opt-out or opt-in keyword. */
export type CustomerReply = {
  id: number;
  /** E.164, as orders store it. */
  phone: string;
  /** The order it was read as an answer to; null when the number is on no order. */
  orderId: string | null;
  orderNumber: number | null;
  customerName: string | null;
  body: string;
  receivedAt: string;
  readAt: string | null;
  /** Who marked it read. */
  readBy: string | null;
};

export type UnreadReplies = { count: number; newest: CustomerReply | undefined };

/** Where the Replies page continues: the last reply shown. */
export type ReplyCursor = number;

export const repliesPageSize = 50;

/** A customer's text as the board shows it (a row, the notice): cut at 200 characters; the order's page has it whole. */
export function replyPreview(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export type ReplyRepository = ReturnType<typeof createReplyRepository>;

const replyColumns = `reply.id, reply.phone, reply.order_id AS "orderId", orders.number AS "orderNumber",
  orders.customer_name AS "customerName", reply.body, reply.received_at AS "receivedAt",
  reply.read_at AS "readAt", staff.username AS "readBy"
  FROM customer_replies AS reply LEFT JOIN orders ON orders.id = reply.order_id LEFT JOIN staff ON staff.id = reply.read_by`;

/**
 * What customers text back ("please ring twice"): kept with the order they answer, shown on its
 * row and page until staff mark it read, and listed on the Replies page.
 */
export function createReplyRepository(db: Database, now: () => Date = () => new Date()) {
  const sql = {
    // The order a reply answers: the sender's newest order still on the board, else their newest.
    activeOrder: `SELECT id FROM orders WHERE phone = ? AND ${activeOrderSql} ORDER BY created_at DESC LIMIT 1`,
    newestOrder: 'SELECT id FROM orders WHERE phone = ? ORDER BY created_at DESC LIMIT 1',
    byProviderId: `SELECT ${replyColumns} WHERE reply.provider_message_id = ?`,
    insert: `INSERT INTO customer_replies (provider_message_id, phone, order_id, body, received_at)
      VALUES (@providerMessageId, @phone, @orderId, @body, @at) ON CONFLICT (provider_message_id) DO NOTHING RETURNING id`,
    byId: `SELECT ${replyColumns} WHERE reply.id = ?`,
    forOrder: `SELECT ${replyColumns} WHERE reply.order_id = ? ORDER BY reply.id`,
    page: `SELECT ${replyColumns} WHERE reply.id < @before ORDER BY reply.id DESC LIMIT @limit`,
    unreadPage: `SELECT ${replyColumns} WHERE reply.id < @before AND reply.read_at IS NULL ORDER BY reply.id DESC LIMIT @limit`,
    unreadCount: 'SELECT count(*) FROM customer_replies WHERE read_at IS NULL',
    newestUnread: `SELECT ${replyColumns} WHERE reply.read_at IS NULL ORDER BY reply.id DESC LIMIT 1`,
    readForOrder: `UPDATE customer_replies SET read_at = @at, read_by = @staffId
      WHERE order_id = @orderId AND read_at IS NULL AND id <= @upTo`,
    readAll: 'UPDATE customer_replies SET read_at = @at, read_by = @staffId WHERE read_at IS NULL AND id <= @upTo',
    readOne: 'UPDATE customer_replies SET read_at = @at, read_by = @staffId WHERE id = @id AND read_at IS NULL',
  };

  return {
    /**
     * Keeps a reply from `phone`, with the order it answers. A repeat of a message MessageBird
     * already delivered here (same `providerMessageId`) is not kept twice: `duplicate` says so.
     */
    receive: (reply: { phone: string; body: string; providerMessageId?: string }) => db.transaction(async (): Promise<{ reply: CustomerReply; duplicate: boolean }> => {
      await db.lock(`phone:${reply.phone}`);
      const providerMessageId = reply.providerMessageId ?? null;
      if (providerMessageId !== null) {
        const known = await db.get<CustomerReply>(sql.byProviderId, [providerMessageId]);
        if (known) return { reply: known, duplicate: true };
      }
      const orderId = (await db.value<string>(sql.activeOrder, [reply.phone])) ?? (await db.value<string>(sql.newestOrder, [reply.phone])) ?? null;
      const id = await db.value<number>(sql.insert, { providerMessageId, phone: reply.phone, orderId, body: reply.body, at: now().toISOString() });
      // Another process kept the same message between the look and the insert.
      if (id === undefined) return { reply: (await db.get<CustomerReply>(sql.byProviderId, [providerMessageId]))!, duplicate: true };
      return { reply: (await db.get<CustomerReply>(sql.byId, [id]))!, duplicate: false };
    }),

    /** The order's replies, oldest first, as a conversation reads. */
    forOrder: (orderId: string) => db.all<CustomerReply>(sql.forOrder, [orderId]),

    findById: (id: number) => db.get<CustomerReply>(sql.byId, [id]),

    /** Newest first, a page at a time after `before` (a reply id). */
    async page(options: { before?: ReplyCursor; unreadOnly?: boolean }): Promise<{ replies: CustomerReply[]; next: ReplyCursor | undefined }> {
      const rows = await db.all<CustomerReply>(options.unreadOnly ? sql.unreadPage : sql.page, {
        before: options.before ?? Number.MAX_SAFE_INTEGER,
        limit: repliesPageSize + 1,
      });
      const replies = rows.slice(0, repliesPageSize);
      return { replies, next: rows.length > repliesPageSize ? replies.at(-1)!.id : undefined };
    },

    /** How many replies nobody has marked read, and the newest of them (the board's count and notice). */
    async unread(): Promise<UnreadReplies> {
      const count = (await db.value<number>(sql.unreadCount)) ?? 0;
      return { count, newest: count > 0 ? await db.get<CustomerReply>(sql.newestUnread) : undefined };
    },

    /**
     * Marks the order's unread replies read, up to the newest one the page showed (`upTo`): one
     * that came in after it stays unread. How many were marked.
     */
    markOrderRead: async (orderId: string, upTo: number, staffId: number) =>
      (await db.run(sql.readForOrder, { orderId, upTo, staffId, at: now().toISOString() })).changes,

    /** Marks every unread reply up to `upTo` read (the newest the page showed). How many were marked. */
    markAllRead: async (upTo: number, staffId: number) =>
      (await db.run(sql.readAll, { upTo, staffId, at: now().toISOString() })).changes,

    /** Marks one reply read; false when it already was. */
    markRead: async (id: number, staffId: number) =>
      (await db.run(sql.readOne, { id, staffId, at: now().toISOString() })).changes > 0,
  };
}
