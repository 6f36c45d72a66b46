import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { delayText } from '../orders/delays.ts';
import type { Delay, Order, OrderRepository, StatusUpdate } from '../orders/order-repository.ts';
import type { OrderStatus } from '../orders/order-status.ts';
import type { TimeFormatter } from '../web/format.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { Message, MessageRepository, QueueResult } from './message-repository.ts';
import type { OptOut } from './opt-out-repository.ts';
import { delayedWithoutEstimate, renderTemplate } from './message-templates.ts';
import { trackingLink } from '../orders/tracking-repository.ts';
import type { TrackingRepository } from '../orders/tracking-repository.ts';
import type { TemplateSource, TemplateValues } from './message-templates.ts';

export type NotifyResult =
  /** The message as it stands after the first attempt, or after the wait ran out. */
  | { outcome: 'queued'; order: Order; message: Message }
  /** A message for this status is already queued, sent or delivered; nothing new was queued. */
  | { outcome: 'already-sent'; order: Order; message: Message }
  /** The customer opted out: nothing was queued. */
  | { outcome: 'opted-out'; order: Order; optOut: OptOut };

/** A status change from the board, and the text that went with it when one was asked for and queued. */
export type ChangeResult = { update: StatusUpdate; text: NotifyResult | undefined };

export type StatusChangeRequest = {
  status: OrderStatus;
  /** The status the page showed: a page that is out of date changes nothing. */
  expectedStatus: OrderStatus;
  delay: Delay | undefined;
  /** Text the customer about the change (the board's "Text the customer" box). */
  textCustomer: boolean;
  /** Why, for a change to cancelled. */
  reason?: string;
};

export type Notifier = ReturnType<typeof createNotifier>;

export function createNotifier(deps: {
  database: Database; orders: OrderRepository; messages: MessageRepository; dispatcher: Dispatcher; waitMs: number; templates: TemplateSource;
  restaurantName: string; formatTime: TimeFormatter;
  /** The customers' tracking pages ({trackingLink}), at PUBLIC_URL; without it the link is left out. */
  tracking?: { repository: TrackingRepository; publicUrl: string | undefined };
}) {
  const { orders, messages, dispatcher } = deps;
  const valuesFor = async (order: Order, template: string): Promise<TemplateValues> => ({
    name: order.customerName,
    status: order.status,
    delay: order.delayMinutes === null ? '' : delayText(order.delayMinutes),
    // The time last promised after a delay, else the time an order for later was asked for.
    eta: (order.expectedAt ?? order.scheduledFor) === null ? '' : deps.formatTime((order.expectedAt ?? order.scheduledFor)!),
    restaurant: deps.restaurantName,
    orderNumber: order.number === null ? '' : String(order.number),
    // A token is made only for a text that carries the link.
    trackingLink: deps.tracking?.publicUrl && template.includes('{trackingLink}')
      ? trackingLink(deps.tracking.publicUrl, await deps.tracking.repository.tokenFor(order.id)) ?? '' : '',
  });
  const textFor = async (order: Order): Promise<string> => {
    const template = await deps.templates.textFor(order.status);
    // A delayed order from before delays had minutes (or from another source) has no estimate to
    // tell: "running about  late" would be worse than the guide's own words.
    const noEstimate = order.status === 'delayed' && order.expectedAt === null && /\{(?:delay|eta)\}/.test(template);
    const chosen = noEstimate ? delayedWithoutEstimate : template;
    return renderTemplate(chosen, await valuesFor(order, chosen));
  };

  const queueText = async (order: Order, requestedBy: number | null, resend: boolean): Promise<QueueResult> => messages.queue({
    orderId: order.id,
    orderStatus: order.status,
    body: await textFor(order),
    recipient: order.phone,
    reference: randomUUID(),
    requestedBy,
  }, { resend });

  /** Waits a short, bounded time for the first attempt of what was queued, so the usual outcome can be shown at once. */
  const firstAttempt = async (order: Order, queued: QueueResult): Promise<NotifyResult> => {
    if (queued.outcome === 'opted-out') return { outcome: 'opted-out', order, optOut: queued.optOut };
    if (queued.outcome === 'already-sent') return { outcome: 'already-sent', order, message: queued.message };
    const attempted = dispatcher.waitForAttempt(queued.message.id, deps.waitMs);
    dispatcher.kick();
    await attempted;
    return { outcome: 'queued', order, message: (await messages.findById(queued.message.id))! };
  };

  // The status change and its text commit together or not at all; the text is sent after commit.
  const changeAndQueue = (orderId: string, change: StatusChangeRequest, requestedBy: number | null) => deps.database.transaction(async () => {
    const update = await orders.updateStatus(orderId, change.status, requestedBy, change.expectedStatus, change.delay, change.reason);
    if (!update) return undefined;
    const queued = update.outcome === 'changed' && change.textCustomer ? await queueText(update.order, requestedBy, false) : undefined;
    return { update, queued };
  });

  return {
    /** A text with the order's values put in for its placeholders, as a template is filled (the quick answers). */
    fill: async (order: Order, text: string): Promise<string> => renderTemplate(text, await valuesFor(order, text)),

    /**
     * Queues the text for the order's current status in the outbox and waits for the first attempt.
     * Returns undefined for an unknown order. Unless `resend` is set, an order whose status was
     * already texted is not texted again; a customer who opted out is never texted.
     */
    async notify(orderId: string, requestedBy: number | null, options: { resend?: boolean } = {}): Promise<NotifyResult | undefined> {
      // The order is read under its lock, as a correction writes it: the text goes to the number
      // (and greets the name) the order has when it is queued, never to one corrected meanwhile.
      const read = await deps.database.transaction(async () => {
        await deps.database.lock(`order:${orderId}`);
        const order = await orders.findById(orderId);
        return order && { order, queued: await queueText(order, requestedBy, options.resend ?? false) };
      });
      if (!read) return undefined;
      return firstAttempt(read.order, read.queued);
    },

    /**
     * Queues staff's own text to the order's customer (an answer to what they wrote) and waits for
     * the first attempt. `formToken` is the form's one-time token: the same form sent twice queues
     * one text ('already-sent'). A customer who opted out gets nothing. Undefined for an unknown order.
     */
    async answer(orderId: string, body: string, requestedBy: number, formToken: string): Promise<NotifyResult | undefined> {
      const read = await deps.database.transaction(async () => {
        await deps.database.lock(`order:${orderId}`);
        const order = await orders.findById(orderId);
        return order && {
          order,
          queued: await messages.queue({ orderId, kind: 'answer', orderStatus: order.status, body, recipient: order.phone, reference: `answer-${formToken}`, requestedBy }, { resend: false }),
        };
      });
      if (!read) return undefined;
      return firstAttempt(read.order, read.queued);
    },

    /**
     * Changes the status and, when asked, queues the text about it in the same
     * transaction: a page out of date (conflict) or a status that was already set queues nothing,
     * and the outbox still holds one text per status change. Then waits for the first attempt as
     * notify() does. Returns undefined for an unknown order.
     */
    async changeStatus(orderId: string, change: StatusChangeRequest, requestedBy: number | null): Promise<ChangeResult | undefined> {
      const result = await changeAndQueue(orderId, change, requestedBy);
      if (!result) return undefined;
      const { update, queued } = result;
      return { update, text: queued && update.outcome === 'changed' ? await firstAttempt(update.order, queued) : undefined };
    },
  };
}
