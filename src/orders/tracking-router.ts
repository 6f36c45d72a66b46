import { Router } from 'express';
import type { TimeFormatter } from '../web/format.ts';
import { isFinished } from './order-status.ts';
import type { OrderStatus } from './order-status.ts';
import { trackingPath, trackingTokenPattern } from './tracking-repository.ts';
import type { TrackingRepository } from './tracking-repository.ts';

/** What each status means to the customer waiting for the food ("delivered": handed to the driver). */
const progress: Readonly<Record<OrderStatus, { headline: string; detail: string }>> = {
  pending: { headline: 'Order received', detail: 'The kitchen has your order and starts on it soon.' },
  confirmed: { headline: 'Being prepared', detail: 'The kitchen is preparing your food.' },
  delayed: { headline: 'Running late', detail: 'Sorry for the wait: the kitchen is on it.' },
  delivered: { headline: 'On its way', detail: 'Our driver has your order and is on the way to you.' },
  cancelled: { headline: 'Cancelled', detail: 'This order was cancelled. Please call us if you have any questions.' },
};

/** A pending order for later is not started "soon". */
const forLater = { headline: 'Order received', detail: 'The kitchen has your order and will have it ready for the time you asked for.' };

/**
 * The customer's page for following their order, at the link a text carries ({trackingLink}). No
 * session: the unguessable token is the key, and the page shows only the order's number, progress
 * and expected time — nothing about who ordered, what or where.
 */
export function createTrackingRouter(deps: { tracking: TrackingRepository; restaurantName: string; restaurantPhone: { e164: string; display: string } | undefined; formatTime: TimeFormatter }): Router {
  const router = Router();

  router.get(`${trackingPath}:token`, async (req, res) => {
    const token = req.params.token;
    const order = trackingTokenPattern.test(token) ? await deps.tracking.find(token) : undefined;
    // Not for search engines, nor for a shared cache: the page is the customer's.
    res.set({ 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' });
    if (!order) {
      return res.status(404).render('tracking', { title: 'Order not found', restaurant: deps.restaurantName, phone: deps.restaurantPhone, order: undefined });
    }
    res.render('tracking', {
      title: order.number === null ? 'Your order' : `Your order #${order.number}`,
      restaurant: deps.restaurantName,
      phone: deps.restaurantPhone,
      order,
      progress: order.scheduledFor && order.status === 'pending' ? forLater : progress[order.status],
      // The expected time as the kitchen last promised it, until the order is on its way.
      expected: order.expectedAt && !isFinished(order.status) ? deps.formatTime(order.expectedAt) : undefined,
      // An order for later, before any delay: the time the customer asked for.
      scheduled: order.scheduledFor && !order.expectedAt && !isFinished(order.status) ? deps.formatTime(order.scheduledFor) : undefined,
      updated: deps.formatTime(order.updatedAt),
      // Reads itself again while something can still change.
      refreshSeconds: isFinished(order.status) ? undefined : 30,
    });
  });

  return router;
}
