import { randomUUID } from 'node:crypto';
import type { Order, OrderRepository } from '../orders/order-repository.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { Message, MessageRepository } from './message-repository.ts';
import type { OptOut } from './opt-out-repository.ts';
import { renderTemplate } from './message-templates.ts';
import type { TemplateSource, TemplateValues } from './message-templates.ts';

export type NotifyResult =
  /** The message as it stands after the first attempt, or after the wait ran out. */
  | { outcome: 'queued'; order: Order; message: Message }
  /** A message for this status is already queued, sent or delivered; nothing new was queued. */
  | { outcome: 'already-sent'; order: Order; message: Message }
  /** The customer opted out: nothing was queued. */
  | { outcome: 'opted-out'; order: Order; optOut: OptOut };

export type Notifier = ReturnType<typeof createNotifier>;

export function createNotifier(deps: { orders: OrderRepository; messages: MessageRepository; dispatcher: Dispatcher; waitMs: number; templates: TemplateSource; restaurantName: string }) {
  const { orders, messages, dispatcher } = deps;
  const valuesFor = (order: Order): TemplateValues => ({
    name: order.customerName,
    status: order.status,
    delay: '',
    eta: '',
    restaurant: deps.restaurantName,
    orderNumber: order.number === null ? '' : String(order.number),
  });
  return {
    /**
     * Queues the text for the order's current status in the outbox and waits a short, bounded time
     * for the first attempt, so the usual outcome can be shown at once. Returns undefined for an
     * unknown order. Unless `resend` is set, an order whose status was already texted is not texted
     * again; a customer who opted out is never texted.
     */
    async notify(orderId: string, requestedBy: number | null, options: { resend?: boolean } = {}): Promise<NotifyResult | undefined> {
      const order = orders.findById(orderId);
      if (!order) return undefined;
      const queued = messages.queue({
        orderId: order.id,
        orderStatus: order.status,
        body: renderTemplate(deps.templates.textFor(order.status), valuesFor(order)),
        recipient: order.phone,
        reference: randomUUID(),
        requestedBy,
      }, { resend: options.resend ?? false });
      if (queued.outcome === 'opted-out') return { outcome: 'opted-out', order, optOut: queued.optOut };
      if (queued.outcome === 'already-sent') return { outcome: 'already-sent', order, message: queued.message };

      const attempted = dispatcher.waitForAttempt(queued.message.id, deps.waitMs);
      dispatcher.kick();
      await attempted;
      return { outcome: 'queued', order, message: messages.findById(queued.message.id)! };
    },
  };
}
