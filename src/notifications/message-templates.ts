import type { OrderStatus } from '../orders/order-status.ts';

/** Every placeholder a message template may use. */
export const placeholders = ['name', 'status', 'delay', 'eta', 'restaurant', 'orderNumber'] as const;
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
};

/**
 * The guide's delayed text, sent instead of a delayed template naming {delay} or {eta} when the order
 * has no estimate (delayed before delays had minutes, or by another way in).
 */
export const delayedWithoutEstimate = 'Hello, {name}, sometimes good things take time! Unfortunately your order is slightly delayed but will be delivered as soon as possible.';

/** Where the notifier gets the text for a status: built in, or edited by an admin. */
export interface TemplateSource {
  textFor(status: OrderStatus): string;
}

export const builtInTemplates: TemplateSource = { textFor: (status) => defaultTemplates[status] };

const placeholderPattern = /\{([A-Za-z]+)\}/g;

/**
 * Fills in the placeholders in one pass, so a value containing "{name}" or "$&" is inserted
 * literally and never expanded again. Anything in braces that is not a placeholder stays as it is.
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(placeholderPattern, (whole, key: string) =>
    Object.hasOwn(values, key) ? values[key as Placeholder] : whole);
}
