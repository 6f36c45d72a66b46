import { randomUUID } from 'node:crypto';
import type { Order, OrderRepository } from '../orders/order-repository.ts';
import type { Message, MessageRepository } from './message-repository.ts';
import { messageForStatus } from './message-templates.ts';
import { SmsSendError } from './sms-sender.ts';
import type { SmsSender } from './sms-sender.ts';

export type NotifyResult = { order: Order; message: Message };

export type Notifier = ReturnType<typeof createNotifier>;

export function createNotifier(deps: { orders: OrderRepository; messages: MessageRepository; sender: SmsSender }) {
  const { orders, messages, sender } = deps;
  return {
    /**
     * Texts the customer the message for the order's current status and records it, with who asked,
     * in the message log. Returns undefined for an unknown order. A failed send is recorded as failed,
     * never touches the order, and rejects with the SmsSendError.
     */
    async notify(orderId: string, requestedBy: number | null): Promise<NotifyResult | undefined> {
      const order = orders.findById(orderId);
      if (!order) return undefined;
      const message = messages.create({
        orderId: order.id,
        orderStatus: order.status,
        body: messageForStatus(order.status, order.customerName),
        recipient: order.phone,
        reference: randomUUID(),
        state: 'sending',
        requestedBy,
      });
      try {
        const result = await sender.send({ recipient: message.recipient, body: message.body, reference: message.reference });
        messages.finish(message.id, result.sent
          ? { state: 'sent', providerMessageId: result.providerMessageId }
          : { state: 'not-sent', errorDescription: 'No MessageBird API key is configured' });
      } catch (error) {
        const reason = error instanceof SmsSendError ? error : undefined;
        messages.finish(message.id, {
          state: 'failed',
          errorCode: reason?.providerErrors[0]?.code,
          errorDescription: reason ? reason.reasons.join('; ') : 'Unexpected error while sending',
        });
        throw error;
      }
      return { order, message: messages.findById(message.id)! };
    },
  };
}
