import type { CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';
import { messageStates } from '../notifications/message-states.ts';
import type { Message } from '../notifications/message-repository.ts';
import { customerName, deliveryAddress, items, mobileNumber, note, orderLimits } from '../orders/order-input.ts';
import type { Order, OrderFields, StatusChange } from '../orders/order-repository.ts';
import { orderDigest } from '../orders/order-repository.ts';
import { cancelReasonMaxLength, orderStatuses } from '../orders/order-status.ts';
import { scheduleMaxDays, scheduleProblem } from '../orders/schedule.ts';

const scheduleRule = `A time with its offset (RFC 3339), e.g. "2026-12-05T19:30:00+01:00"; null or left out for as soon as possible.`;

/** The time asked for, as sent (with its offset), stored as a UTC instant like every other time. */
const scheduledFor = z.iso.datetime({ offset: true, error: scheduleRule })
  .transform((value) => new Date(value).toISOString())
  .meta({
    description: `An order for later: when the customer wants it delivered (or picked up), at most ${scheduleMaxDays} days ahead. The board sorts by it and calls the order late once it has passed. Left out or null: as soon as possible.`,
    examples: ['2026-12-05T19:30:00+01:00'],
  });

/** A new time asked for must still be ahead (and within scheduleMaxDays): a refusal's field problem, or undefined. */
export function scheduledForProblem(at: string | null | undefined, now: Date): string | undefined {
  return at ? scheduleProblem(new Date(at), now) : undefined;
}

/** The body of POST /api/orders. Unknown fields are refused, so a misspelt "notes" is not lost silently. */
export function newOrderBody(defaultCountry: CountryCode) {
  return z.strictObject({
    externalId: z.string({ error: 'Give the shop’s own id for the order (externalId), e.g. "shop-1042".' }).trim()
      .min(1, 'externalId cannot be empty.')
      .max(orderLimits.externalId, `Keep externalId to ${orderLimits.externalId} characters.`)
      .meta({ description: 'The shop’s own id for the order. Sending it again returns the same order (idempotency).', examples: ['shop-1042'] }),
    customer: z.strictObject({ name: customerName, phone: mobileNumber(defaultCountry) }, { error: 'Give the customer as {"name": …, "phone": …}.' }),
    deliveryAddress: deliveryAddress.optional().transform((value) => value ?? null)
      .meta({ description: 'Where the driver takes the order, e.g. "Kerkstraat 12, 1017 GC Amsterdam"; leave it out for pick-up. Line breaks become ", ".' }),
    items: items.meta({ description: 'One entry per line of the order', examples: [['2 x Margherita', '1 x Tiramisu']] }),
    note: note.optional().transform((value) => value ?? null).meta({ description: 'A note for the kitchen' }),
    scheduledFor: scheduledFor.nullable().optional().transform((value) => value ?? null),
  }, { error: 'The body must be a JSON object.' });
}

/** The body of POST /api/orders/{orderId}/cancel: nothing, or an empty object. */
export const cancelBody = z.strictObject({
  reason: z.string().trim().min(1).max(cancelReasonMaxLength).optional().meta({ description: 'Why, for the kitchen and the day’s record ("Customer cancelled")', example: 'Customer cancelled' }),
}, { error: 'The body must be a JSON object.' });

/**
 * The body of PATCH /api/orders/{orderId}: the fields to correct, each left out to keep it as it is;
 * null clears the address (pick-up) or the note. `version` (from the order as read) makes the
 * correction conditional on nobody having corrected the order since.
 */
export function orderPatchBody(defaultCountry: CountryCode) {
  return z.strictObject({
    version: z.string().min(1).max(100).optional()
      .meta({ description: 'The order’s `version` as you read it: if the order was corrected since, nothing is saved (409). Leave it out to overwrite.' }),
    customer: z.strictObject({ name: customerName.optional(), phone: mobileNumber(defaultCountry).optional() }, { error: 'Give the customer as {"name": …, "phone": …}, either or both.' }).optional(),
    deliveryAddress: deliveryAddress.nullable().optional().meta({ description: 'The new address; null for pick-up' }),
    items: items.optional().meta({ description: 'All the items as they are now (the list replaces the old one)' }),
    note: note.nullable().optional().meta({ description: 'The new note for the kitchen; null for none' }),
    scheduledFor: scheduledFor.nullable().optional(),
  }, { error: 'The body must be a JSON object.' })
    .refine((body) => body.customer?.name !== undefined || body.customer?.phone !== undefined || body.deliveryAddress !== undefined || body.items !== undefined || body.note !== undefined || body.scheduledFor !== undefined,
      'Send at least one field to correct: customer, deliveryAddress, items, note or scheduledFor.');
}

/** A PATCH body as the order's fields it changes (items one per line, as stored). */
export function patchedFields(body: z.infer<ReturnType<typeof orderPatchBody>>): Partial<OrderFields> {
  const fields: Partial<OrderFields> = {};
  if (body.customer?.name !== undefined) fields.customerName = body.customer.name;
  if (body.customer?.phone !== undefined) fields.phone = body.customer.phone;
  if (body.deliveryAddress !== undefined) fields.deliveryAddress = body.deliveryAddress;
  if (body.items !== undefined) fields.items = body.items.join('\n');
  if (body.note !== undefined) fields.note = body.note;
  if (body.scheduledFor !== undefined) fields.scheduledFor = body.scheduledFor;
  return fields;
}

export const orderIdPattern = /^[0-9a-f]{32}$/;

export const apiOrder = z.object({
  id: z.string().regex(orderIdPattern),
  number: z.int().nullable().meta({ description: 'The short number of the day the kitchen calls out ("#17")' }),
  status: z.enum(orderStatuses),
  externalId: z.string().nullable(),
  customer: z.object({ name: z.string(), phone: z.string().meta({ description: 'E.164' }) }),
  deliveryAddress: z.string().nullable().meta({ description: 'null for pick-up' }),
  items: z.array(z.string()),
  note: z.string().nullable(),
  scheduledFor: z.iso.datetime().nullable().meta({ description: 'When the customer wants it (an order for later); null for as soon as possible' }),
  trackingUrl: z.string().nullable().meta({ description: 'The customer’s own page for following the order (its progress and expected time, nothing about who ordered), to link from the shop’s confirmation; null when the server has no PUBLIC_URL' }),
  version: z.string().meta({ description: 'Changes whenever the customer, address, items, note or scheduled time are corrected; send it with a correction (PATCH) to refuse overwriting one made since' }),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  deliveredAt: z.iso.datetime().nullable().meta({ description: 'When it was first delivered' }),
  history: z.array(z.object({
    status: z.enum(orderStatuses),
    changedAt: z.iso.datetime(),
    reason: z.string().nullable().meta({ description: 'Why, for a change to cancelled that gave one' }),
  })),
  messages: z.array(z.object({
    forStatus: z.enum(orderStatuses),
    state: z.enum(messageStates),
    requestedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    error: z.string().nullable(),
  })).meta({ description: 'The texts to the customer about the order’s statuses, newest first' }),
});

export type ApiOrder = z.infer<typeof apiOrder>;

export function toApiOrder(order: Order, history: StatusChange[], messages: Message[], trackingUrl: string | null): ApiOrder {
  return {
    id: order.id,
    number: order.number,
    status: order.status,
    externalId: order.externalId,
    customer: { name: order.customerName, phone: order.phone },
    deliveryAddress: order.deliveryAddress,
    items: order.items.split('\n'),
    note: order.note,
    scheduledFor: order.scheduledFor,
    trackingUrl,
    version: orderDigest(order),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    deliveredAt: order.deliveredAt,
    history: history.map((change) => ({ status: change.status, changedAt: change.changedAt, reason: change.reason })),
    // The texts about its statuses; staff's answers to the customer's own texts are between them.
    messages: messages.filter((message) => message.kind === 'status').map((message) => ({
      forStatus: message.orderStatus as ApiOrder['status'],
      state: message.state,
      requestedAt: message.requestedAt,
      updatedAt: message.updatedAt,
      error: message.errorDescription,
    })),
  };
}
