import { z } from 'zod';
import { orderStatuses } from '../orders/order-status.ts';

/**
 * The events posted to a shop's address (webhooks), as the OpenAPI description documents them:
 * `{ type, timestamp, data }`, the Standard Webhooks payload shape.
 */

const statusChangedData = z.object({
  orderId: z.string().meta({ description: 'Our id of the order, as in /api/orders/{orderId}' }),
  externalId: z.string().nullable().meta({ description: 'The shop’s own id, as sent with the order' }),
  number: z.int().nullable().meta({ description: 'The short number of the day the kitchen calls out ("#17")' }),
  status: z.enum(orderStatuses),
  previousStatus: z.enum(orderStatuses),
  changedAt: z.iso.datetime(),
  reason: z.string().nullable().meta({ description: 'Why, for a cancel that gave a reason' }),
  expectedAt: z.iso.datetime().nullable().meta({ description: 'When the kitchen now expects to deliver, after a delay; null when it gave no time' }),
  sequence: z.int().meta({ description: 'Grows with each status change of the order. Deliveries may arrive out of order or twice: ignore an event whose sequence is not above the last one you applied.' }),
});

export type StatusChangedData = z.infer<typeof statusChangedData>;

/** The order's fields as the API names them, for a correction's changes. */
export const correctedFields = ['customer.name', 'customer.phone', 'deliveryAddress', 'items', 'note', 'scheduledFor'] as const;

const correctionValue = z.union([z.string(), z.array(z.string()), z.null()]);

const orderCorrectedData = z.object({
  orderId: z.string().meta({ description: 'Our id of the order, as in /api/orders/{orderId}' }),
  externalId: z.string().nullable(),
  number: z.int().nullable().meta({ description: 'The order’s number after the correction (an order moved to another day gets one of that day)' }),
  correctedAt: z.iso.datetime(),
  changes: z.array(z.object({
    field: z.enum(correctedFields),
    before: correctionValue,
    after: correctionValue.meta({ description: 'As the API gives the field: items as a list, null for none' }),
  })),
  version: z.string().meta({ description: 'The order’s version after the correction, as GET /api/orders/{orderId} gives it' }),
  sequence: z.int().meta({ description: 'Grows with each correction of the order: ignore an event whose sequence is not above the last one you applied.' }),
});

export type OrderCorrectedData = z.infer<typeof orderCorrectedData>;

export const orderCorrectedEvent = z.object({
  type: z.literal('order.corrected'),
  timestamp: z.iso.datetime().meta({ description: 'When the correction was saved' }),
  data: orderCorrectedData,
});

export const statusChangedEvent = z.object({
  type: z.literal('order.status_changed'),
  timestamp: z.iso.datetime().meta({ description: 'When the change happened' }),
  data: statusChangedData,
});

export const testEvent = z.object({
  type: z.literal('webhook.test'),
  timestamp: z.iso.datetime(),
  data: z.object({ apiKey: z.string().meta({ description: 'The name of the key the address belongs to' }), message: z.string() }),
});

const intakeData = z.object({
  open: z.boolean().meta({ description: 'false: the kitchen takes no new orders for as soon as possible until pausedUntil' }),
  pausedUntil: z.iso.datetime().nullable().meta({ description: 'When the pause ends by itself; null when the orders are open again' }),
  changedAt: z.iso.datetime(),
});

export type IntakeData = z.infer<typeof intakeData>;

export const intakePausedEvent = z.object({
  type: z.literal('intake.paused'),
  timestamp: z.iso.datetime(),
  data: intakeData,
});

export const intakeResumedEvent = z.object({
  type: z.literal('intake.resumed'),
  timestamp: z.iso.datetime(),
  data: intakeData,
});
