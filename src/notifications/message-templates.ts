import { fillPlaceholders, unknownPlaceholders } from '../../public/sms-text.js';
import type { OrderStatus } from '../orders/order-status.ts';
import { trackingLink } from '../orders/tracking-repository.ts';

/** Every placeholder a message template may use. */
export const placeholders = ['name', 'status', 'delay', 'eta', 'restaurant', 'orderNumber', 'trackingLink'] as const;
export type Placeholder = (typeof placeholders)[number];
export type TemplateValues = Record<Placeholder, string>;

/**
 * The texts of MessageBird's "SMS Order Notifications" guide, the ones a new installation sends.
 * "OmNomNom Foods" became {restaurant}, which is "OmNomNom Foods" unless RESTAURANT_NAME says otherwise.
 */
export const defaultTemplates: Readonly<Record<OrderStatus, string>> = {
  pending: "Hello, {name}, thanks for ordering at {restaurant}! We're still working on your order. Please be patient with us!",
  confirmed: 'Hello, {name}, thanks for ordering at {restaurant}! We are now preparing your food with love and fresh ingredients and will keep you updated.',
  // The guide's delayed text did not say how late; ours does (see delayedWithoutEstimate).
  delayed: 'Hello, {name}, sometimes good things take time! Unfortunately your order is running about {delay} late; we now expect to deliver it around {eta}.',
  delivered: 'Hello, {name}, you can start setting the table! Our driver is on their way with your order! Bon appetit!',
  // The guide had no cancelled status; ours says it plainly and leaves the door open.
  cancelled: 'Hello, {name}, your order at {restaurant} has been cancelled. Please call us if you have any questions.',
};

/** What the Templates page calls a status's default text: the guide's own, or ours where the guide had none. */
export function defaultTextName(status: OrderStatus): string {
  return status === 'cancelled' ? 'Order Desk’s default text' : 'the guide’s text';
}

/**
 * The guide's delayed text, sent instead of a delayed template naming {delay} or {eta} when the order
 * has no estimate (delayed before delays had minutes, or by another way in).
 */
export const delayedWithoutEstimate = 'Hello, {name}, sometimes good things take time! Unfortunately your order is slightly delayed but will be delivered as soon as possible.';

/** Where the notifier gets the text for a status: the admin's latest saved version, or the guide's. */
export interface TemplateSource {
  textFor(status: OrderStatus): Promise<string>;
}

/**
 * Fills in the placeholders in one pass, so a value containing "{name}" or "$&" is inserted
 * literally and never expanded again. Anything in braces that is not a placeholder stays as it is.
 * The Templates page's script fills its live preview with the same function.
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  return fillPlaceholders(template, values);
}

// A cap keeps the whole form under the 10 kB form-body limit even when every character is a
// three-byte one sent percent-encoded (1,000 × 9 bytes), so an over-long text gets this message
// and stays in the field instead of a bare 413. 1,000 characters are already 7 GSM-7 parts.
export const templateMaxLength = 1000;

/** The placeholders a template may use here: {trackingLink} only where PUBLIC_URL gives it an address. */
export function usablePlaceholders(publicUrl: string | undefined): readonly Placeholder[] {
  return publicUrl ? placeholders : placeholders.filter((name) => name !== 'trackingLink');
}

/** Why a template cannot be saved, or undefined when it can. */
export function templateProblem(text: string, publicUrl: string | undefined): string | undefined {
  if (text.trim() === '') return 'The text is empty: write the message the customer gets (or restore the guide’s text).';
  if (text.length > templateMaxLength) return `The text is ${text.length} characters long; at most ${templateMaxLength} are allowed.`;
  if (!publicUrl && text.includes('{trackingLink}')) {
    return '{trackingLink} needs PUBLIC_URL, the address customers reach this server at: set it (see the README), or leave the link out.';
  }
  const unknown = unknownPlaceholders(text, placeholders);
  if (unknown.length > 0) {
    return `Unknown placeholder${unknown.length === 1 ? '' : 's'} ${unknown.join(' ')}. The placeholders are ${usablePlaceholders(publicUrl).map((name) => `{${name}}`).join(' ')}; braces are only for them.`;
  }
  return undefined;
}

/** Templates are saved without surrounding white space and with one kind of line break. */
export function normalizeTemplate(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}

/**
 * A made-up order at realistic lengths, for the preview and the segment estimate: a 20-character
 * name, a three-digit order number, the delay and expected time as a delay text gives them, and a
 * tracking link as long as a real one.
 */
export function sampleValues(status: OrderStatus, restaurantName: string, publicUrl: string | undefined): TemplateValues {
  return {
    name: 'Alexandra Richardson', status, delay: '20 minutes', eta: '19:45', restaurant: restaurantName, orderNumber: '123',
    trackingLink: trackingLink(publicUrl, 'Xq3kP9vB2mWz') ?? '',
  };
}
