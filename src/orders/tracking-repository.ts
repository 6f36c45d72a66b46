import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { OrderStatus } from './order-status.ts';

/** What the customer's tracking page shows: the order's progress, nothing about who they are. */
export type TrackedOrder = {
  number: number | null;
  status: OrderStatus;
  updatedAt: string;
  expectedAt: string | null;
  scheduledFor: string | null;
};

/** 12 characters of base64url: 72 random bits, short enough for a text, too many to guess. */
export const trackingTokenPattern = /^[A-Za-z0-9_-]{12}$/;

/** Where the tracking pages are served: this, then the token. */
export const trackingPath = '/t/';

/**
 * The address of an order's tracking page, for {trackingLink} and the API's trackingUrl: PUBLIC_URL
 * (where customers reach the server) and the order's token; undefined without PUBLIC_URL, as there
 * is no address to send.
 */
export function trackingLink(publicUrl: string | undefined, token: string): string | undefined {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}${trackingPath}${token}` : undefined;
}

export type TrackingRepository = ReturnType<typeof createTrackingRepository>;

export function createTrackingRepository(db: Database) {
  const sql = {
    insert: 'INSERT INTO order_tracking (order_id, token, created_at) VALUES (?, ?, ?) ON CONFLICT (order_id) DO NOTHING',
    tokenOf: 'SELECT token FROM order_tracking WHERE order_id = ?',
    byToken: `SELECT o.number, o.status, o.updated_at AS "updatedAt", o.expected_at AS "expectedAt", o.scheduled_for AS "scheduledFor"
      FROM order_tracking AS t JOIN orders AS o ON o.id = t.order_id WHERE t.token = ?`,
  };

  return {
    /** The order's tracking token, made on first use; the same one for every later text. */
    async tokenFor(orderId: string): Promise<string> {
      const stored = await db.value<string>(sql.tokenOf, [orderId]);
      if (stored !== undefined) return stored;
      // Two made at once for one order keep whichever token was stored first.
      await db.run(sql.insert, [orderId, randomBytes(9).toString('base64url'), new Date().toISOString()]);
      return (await db.value<string>(sql.tokenOf, [orderId]))!;
    },
    find: (token: string) => db.get<TrackedOrder>(sql.byToken, [token]),
  };
}
