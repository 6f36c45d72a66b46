import type { CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';
import { parseMobileNumber } from './phone-number.ts';

/** What the kitchen needs to make and deliver an order: the same rules for the form and the API. */
export const orderLimits = { name: 100, item: 200, items: 50, note: 500, address: 300, externalId: 100 } as const;

export const customerName = z.string({ error: 'Enter the customer’s name.' }).trim()
  .min(1, 'Enter the customer’s name.')
  .max(orderLimits.name, `Keep the name to ${orderLimits.name} characters.`);

export function mobileNumber(defaultCountry: CountryCode) {
  return z.string({ error: 'Enter the customer’s mobile number.' })
    .max(40, 'That is not a valid phone number.')
    .meta({ description: `A mobile number, international (+31612345678) or national for DEFAULT_COUNTRY (${defaultCountry}); stored in E.164.`, examples: ['+31612345678'] })
    .transform((value, context) => {
      const parsed = parseMobileNumber(value, defaultCountry);
      if (parsed.ok) return parsed.e164;
      context.issues.push({ code: 'custom', message: parsed.problem, input: value });
      return z.NEVER;
    });
}

export const item = z.string({ error: 'Each item must be text, e.g. “2 x Margherita”.' }).trim()
  .min(1, 'An item cannot be empty.')
  .max(orderLimits.item, `Keep each item to ${orderLimits.item} characters.`)
  .refine((value) => !/[\r\n]/.test(value), 'An item is one line.');

export const items = z.array(item, { error: 'List the items, e.g. ["2 x Margherita"].' })
  .min(1, 'Add at least one item.')
  .max(orderLimits.items, `At most ${orderLimits.items} items in one order.`);

/** An optional note for the kitchen; blank means none. */
export const note = z.string({ error: 'The note must be text.' }).trim()
  .max(orderLimits.note, `Keep the note to ${orderLimits.note} characters.`)
  .transform((value) => (value === '' ? null : value));

/**
 * Where the driver takes the order; blank means none (picked up at the counter). Kept as one line,
 * since the board shows it on one: the line breaks of an address typed or sent on several lines
 * become ", ".
 */
export const deliveryAddress = z.string({ error: 'The delivery address must be text.' })
  .transform((value) => value.split(/\r?\n|\r/).map((line) => line.trim()).filter((line) => line !== '').join(', '))
  .pipe(z.string().max(orderLimits.address, `Keep the address to ${orderLimits.address} characters.`))
  .transform((value) => (value === '' ? null : value));

/** What staff call each field of an order, in flashes and in an order's corrections. */
export const fieldLabels = {
  customerName: 'name', phone: 'mobile number', deliveryAddress: 'delivery address', items: 'items', note: 'note', scheduledFor: 'scheduled time',
} as const;

/**
 * A field's value as staff read it in a correction's record and a refusal: the items on one line,
 * the time asked for on the kitchen's clock.
 */
export function fieldText(field: keyof typeof fieldLabels, value: string | null, formatTime: (at: string) => string): string {
  if (field === 'scheduledFor') return value ? formatTime(value) : 'as soon as possible';
  return value?.replaceAll('\n', ', ') ?? '(empty)';
}

/** The fields every new order is made of, after validation: phone in E.164, items one per line. */
export type OrderInput = {
  customerName: string;
  phone: string;
  items: string[];
  note: string | null;
  deliveryAddress: string | null;
  /** The time asked for, as an ISO instant; null or left out for as soon as possible. */
  scheduledFor?: string | null;
};
