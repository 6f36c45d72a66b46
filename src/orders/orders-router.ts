import { Router } from 'express';
import type { Request, Response } from 'express';
import createError from 'http-errors';
import { z } from 'zod';
import type { MessageRepository } from '../notifications/message-repository.ts';
import type { Notifier, NotifyResult } from '../notifications/notifier.ts';
import type { OptOutRepository } from '../notifications/opt-out-repository.ts';
import { describeOptOut } from '../notifications/opt-out-text.ts';
import { northAmericaWarning } from '../notifications/originator.ts';
import type { Flash } from '../web/flash.ts';
import { setFlash } from '../web/flash.ts';
import type { TimeFormatter } from '../web/format.ts';
import { isOrderId } from './order-id.ts';
import type { Order, OrderRepository, StatusChange } from './order-repository.ts';
import { orderStatuses } from './order-status.ts';
import type { OrderStatus } from './order-status.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    order?: Order;
  }
}

/** Renders the board (see the board router); `choices` keeps unsaved picks in the rows' lists. */
type BoardRenderer = (res: Response, searchText?: string, choices?: ReadonlyMap<string, OrderStatus>) => void;

const statusForm = z.object({
  status: z.enum(orderStatuses, { error: `Choose a status: ${orderStatuses.join(', ')}` }),
  // The status the page showed, so a stale page cannot overwrite a change made elsewhere.
  expectedStatus: z.enum(orderStatuses, { error: 'the form did not say which status the board showed; reload the board and try again' }),
});

// Notify and Send again submit the row's status form (the buttons name it with form=), so the
// server sees what the list shows and the status the page was rendered with.
const notifyForm = z.object({
  status: z.enum(orderStatuses),
  expectedStatus: z.enum(orderStatuses),
});

export function createOrdersRouter(deps: {
  orders: OrderRepository;
  messages: MessageRepository;
  optOuts: OptOutRepository;
  notifier: Notifier;
  formatTime: TimeFormatter;
  renderBoard: BoardRenderer;
  /** MESSAGEBIRD_ORIGINATOR, for the warning about sender names in the US and Canada. */
  originator: string;
}): Router {
  const { orders, messages, optOuts, notifier, formatTime, renderBoard } = deps;
  const router = Router();

  const changedSince = (order: Order, change: StatusChange) =>
    `${order.customerName}'s order was changed to ${change.status}${change.changedBy ? ` by ${change.changedBy}` : ''} at ${formatTime(change.changedAt)} — check the board and try again.`;

  /**
   * Texts only what the page showed and the list still shows: nothing silently goes out for the
   * saved status while another choice sits in the list, or after another tablet changed the order.
   * Renders the refusal and returns false otherwise.
   */
  const notifyAllowed = (req: Request, res: Response): boolean => {
    const order = res.locals.order!;
    const parsed = notifyForm.safeParse(req.body ?? {});
    let message: string | undefined;
    const choices = new Map<string, OrderStatus>();
    if (!parsed.success) {
      res.status(400);
      message = `Nothing was sent to ${order.customerName}: the form did not say which status the board showed; reload the board and try again.`;
    } else if (parsed.data.expectedStatus !== order.status) {
      res.status(409);
      message = `Nothing was sent. ${changedSince(order, orders.latestChange(order.id)!)}`;
    } else if (parsed.data.status !== order.status) {
      res.status(409);
      message = `Nothing was sent to ${order.customerName}: the list shows ${parsed.data.status}, but the saved status is ${order.status}. Press Update to save ${parsed.data.status} first, then notify — or set the list back to ${order.status}.`;
      choices.set(order.id, parsed.data.status);
    }
    if (!message) return true;
    res.locals.flash = { kind: 'error', message };
    renderBoard(res, undefined, choices);
    return false;
  };

  // Load or 404 in one place for every route with an :orderId.
  router.param('orderId', (_req, res, next, orderId: string) => {
    const order = isOrderId(orderId) ? orders.findById(orderId) : undefined;
    if (!order) throw createError(404, 'There is no order with that id.');
    res.locals.order = order;
    next();
  });

  router.get('/orders/:orderId', (_req, res) => {
    const order = res.locals.order!;
    const optOut = optOuts.current(order.phone);
    res.render('order', {
      title: `Order for ${order.customerName}`, order, history: orders.history(order.id), messages: messages.forOrder(order.id),
      optOut: optOut && describeOptOut(order.customerName, optOut, formatTime), optOutHistory: optOuts.history(order.phone),
    });
  });

  // By hand, for a customer who called: any signed-in staff, recorded with who did it.
  router.post('/orders/:orderId/opt-out', (req, res) => {
    const order = res.locals.order!;
    const { changed, cancelled } = optOuts.optOut(order.phone, { source: 'staff', staffId: res.locals.currentStaff!.id });
    const unsent = cancelled > 0 ? ` ${cancelled === 1 ? 'A text still queued was' : `${cancelled} texts still queued were`} cancelled.` : '';
    setFlash(req, changed
      ? { kind: 'success', message: `${order.customerName} (${order.phone}) gets no more texts.${unsent}` }
      : { kind: 'info', message: `${order.customerName} (${order.phone}) was already opted out; nothing changed.` });
    res.redirect(303, orderPage(order));
  });

  router.post('/orders/:orderId/opt-in', (req, res) => {
    const order = res.locals.order!;
    const { changed } = optOuts.optIn(order.phone, { source: 'staff', staffId: res.locals.currentStaff!.id });
    setFlash(req, changed
      ? { kind: 'success', message: `${order.customerName} (${order.phone}) can be texted again.` }
      : { kind: 'info', message: `${order.customerName} (${order.phone}) was not opted out; nothing changed.` });
    res.redirect(303, orderPage(order));
  });

  /** Sends the outcome back to the order's row, or refuses (409) when the customer opted out. */
  const answerNotify = (req: Request, res: Response, result: NotifyResult) => {
    if (result.outcome === 'opted-out') {
      res.status(409);
      res.locals.flash = { kind: 'error', message: `Nothing was sent: ${describeOptOut(result.order.customerName, result.optOut, formatTime)} and gets no more texts.` };
      return renderBoard(res);
    }
    const flash = notifyFlash(result, formatTime);
    const warning = northAmericaWarning(deps.originator, result.order.phone);
    setFlash(req, warning ? { ...flash, details: [...(flash.details ?? []), warning] } : flash);
    res.redirect(303, rowOnBoard(result.order));
  };

  router.post('/orders/:orderId/status', (req, res) => {
    const order = res.locals.order!;
    const parsed = statusForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400);
      res.locals.flash = { kind: 'error', message: `Status of ${order.customerName}'s order not changed: ${parsed.error.issues[0]!.message}.` };
      return renderBoard(res);
    }
    const { status, expectedStatus } = parsed.data;
    const update = orders.updateStatus(order.id, status, res.locals.currentStaff!.id, expectedStatus)!;
    if (update.outcome === 'conflict') {
      res.status(409);
      res.locals.flash = { kind: 'error', message: `${changedSince(update.order, update.latestChange)} Your choice, ${status}, was not saved.` };
      return renderBoard(res);
    }
    setFlash(req, update.outcome === 'changed'
      ? { kind: 'success', message: `${order.customerName}'s order is now ${update.order.status}.` }
      : { kind: 'info', message: `${order.customerName}'s order was already ${update.order.status}; nothing changed.` });
    res.redirect(303, rowOnBoard(res.locals.order!));
  });

  router.post('/orders/:orderId/notify', async (req, res) => {
    if (!notifyAllowed(req, res)) return;
    answerNotify(req, res, (await notifier.notify(res.locals.order!.id, res.locals.currentStaff!.id))!);
  });

  // "Send again" is its own button and route, so a double click on Notify can never text twice.
  router.post('/orders/:orderId/resend', async (req, res) => {
    if (!notifyAllowed(req, res)) return;
    answerNotify(req, res, (await notifier.notify(res.locals.order!.id, res.locals.currentStaff!.id, { resend: true }))!);
  });

  return router;
}

/** Back to the order's own row on the board, which the board script focuses, not to the top. */
function rowOnBoard(order: Order): string {
  return `/#order-${encodeURIComponent(order.id)}`;
}

function orderPage(order: Order): string {
  return `/orders/${encodeURIComponent(order.id)}`;
}

function notifyFlash(result: Exclude<NotifyResult, { outcome: 'opted-out' }>, formatTime: TimeFormatter): Flash {
  const { outcome, order, message } = result;
  const name = order.customerName;
  if (outcome === 'already-sent') {
    return {
      kind: 'info',
      message: `${name} was already texted that their order is ${message.orderStatus} (at ${formatTime(message.requestedAt)}, now ${message.state}). Nothing was sent. Use “Send again” to text them once more.`,
    };
  }
  const reasons = message.errorDescription?.split('\n') ?? [];
  switch (message.state) {
    case 'sent':
    case 'delivered':
      return { kind: 'success', message: `${name} was notified that their order is ${message.orderStatus}` };
    case 'not-sent':
      return { kind: 'info', message: `Nothing was sent: no MessageBird API key is configured. ${name} would have received: “${message.body}”` };
    case 'failed':
    case 'expired':
      return { kind: 'error', message: `Could not text ${name}: the message ${message.state === 'expired' ? 'expired' : 'failed'}`, details: reasons };
    case 'queued':
      if (message.attempts > 0) {
        return { kind: 'info', message: `Not sent yet to ${name}; Order Desk will try again at ${formatTime(message.nextAttemptAt!)}. The board shows its progress.`, details: reasons };
      }
      return { kind: 'info', message: `The message to ${name} is queued and will be sent shortly; the board shows its progress.` };
    case 'sending':
      return { kind: 'info', message: `MessageBird is slow to answer: the message to ${name} is on its way and the board shows its progress.` };
    case 'checking':
      return { kind: 'info', message: `No clear answer from MessageBird: checking with MessageBird whether ${name} got the message before sending it again. The board shows its progress.`, details: reasons };
    case 'cancelled':
      return { kind: 'error', message: `Nothing was sent: ${name} opted out before the message went out.` };
  }
}
