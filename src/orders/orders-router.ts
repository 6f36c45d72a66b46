import { Router } from 'express';
import type { Response } from 'express';
import createError from 'http-errors';
import { z } from 'zod';
import type { MessageRepository } from '../notifications/message-repository.ts';
import type { Notifier } from '../notifications/notifier.ts';
import { SmsSendError } from '../notifications/sms-sender.ts';
import { setFlash } from '../web/flash.ts';
import type { Order, OrderRepository } from './order-repository.ts';
import { orderStatuses } from './order-status.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    order?: Order;
  }
}

const statusForm = z.object({
  status: z.enum(orderStatuses, { error: `Choose a status: ${orderStatuses.join(', ')}` }),
});

export function createOrdersRouter(deps: { orders: OrderRepository; messages: MessageRepository; notifier: Notifier }): Router {
  const { orders, messages, notifier } = deps;
  const router = Router();

  const renderBoard = (res: Response) =>
    res.render('board', { title: 'Orders', orders: orders.list(), latestMessages: messages.latestPerOrder(), statuses: orderStatuses });

  // Load or 404 in one place for every route with an :orderId.
  router.param('orderId', (_req, res, next, orderId: string) => {
    const order = orders.findById(orderId);
    if (!order) throw createError(404, 'There is no order with that id.');
    res.locals.order = order;
    next();
  });

  router.get('/', (_req, res) => {
    renderBoard(res);
  });

  router.get('/orders/:orderId', (_req, res) => {
    const order = res.locals.order!;
    res.render('order', { title: `Order for ${order.customerName}`, order, history: orders.history(order.id), messages: messages.forOrder(order.id) });
  });

  router.post('/orders/:orderId/status', (req, res) => {
    const order = res.locals.order!;
    const parsed = statusForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400);
      res.locals.flash = { kind: 'error', message: `Status of ${order.customerName}'s order not changed: ${parsed.error.issues[0]!.message}.` };
      return renderBoard(res);
    }
    const update = orders.updateStatus(order.id, parsed.data.status, res.locals.currentStaff!.id)!;
    setFlash(req, update.outcome === 'changed'
      ? { kind: 'success', message: `${order.customerName}'s order is now ${update.order.status}.` }
      : { kind: 'info', message: `${order.customerName}'s order was already ${update.order.status}; nothing changed.` });
    res.redirect(303, '/');
  });

  router.post('/orders/:orderId/notify', async (req, res) => {
    const order = res.locals.order!;
    try {
      const result = await notifier.notify(order.id, res.locals.currentStaff!.id);
      if (!result) throw createError(404, 'There is no order with that id.');
      setFlash(req, result.message.state === 'sent'
        ? { kind: 'success', message: `${order.customerName} was notified that their order is ${result.order.status}` }
        : { kind: 'info', message: `Nothing was sent: no MessageBird API key is configured. ${order.customerName} would have received: “${result.message.body}”` });
    } catch (error) {
      if (!(error instanceof SmsSendError)) throw error;
      req.log.warn({ err: error, orderId: order.id }, 'SMS notification failed');
      setFlash(req, { kind: 'error', message: 'Could not send notification', details: error.reasons });
    }
    res.redirect(303, '/');
  });

  return router;
}
