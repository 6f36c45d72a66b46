import { randomBytes } from 'node:crypto';
import { z } from 'zod';

// An order id is 32 lowercase hex digits (128 random bits), like the guide's sample orders. Every
// way in — route parameters, forms, the database seed, an API — checks it with this one rule, so an
// id can never carry "/", "..", "?" or markup into a URL or a page.
const orderIdPattern = /^[0-9a-f]{32}$/;

export const orderIdRule = 'must be 32 lowercase hexadecimal digits';

export function isOrderId(value: unknown): value is string {
  return typeof value === 'string' && orderIdPattern.test(value);
}

/** The zod form of the same rule, for request bodies. */
export const orderIdSchema = z.string().regex(orderIdPattern, `An order id ${orderIdRule}.`);

export function newOrderId(): string {
  return randomBytes(16).toString('hex');
}
