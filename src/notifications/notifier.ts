import { randomUUID } from 'node:crypto';
import type { Order, OrderRepository } from '../orders/order-repository.ts';
import { messageForStatus } from './message-templates.ts';
import type { SmsSender } from './sms-sender.ts';

export type NotifyResult = { order: Order; body: string; sent: boolean };

export type Notifier = ReturnType<typeof createNotifier>;

export function createNotifier(deps: { orders: OrderRepository; sender: SmsSender }) {
  return {
    /**
     * Texts the customer the message for the order's current status.
     * Returns undefined for an unknown order; a failed send rejects with SmsSendError and changes nothing.
     */
    async notify(orderId: string): Promise<NotifyResult | undefined> {
      const order = deps.orders.findById(orderId);
      if (!order) return undefined;
      const body = messageForStatus(order.status, order.customerName);
      const result = await deps.sender.send({ recipient: order.phone, body, reference: randomUUID() });
      return { order, body, sent: result.sent };
    },
  };
}
