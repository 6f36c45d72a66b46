export const orderStatuses = ['pending', 'confirmed', 'delayed', 'delivered'] as const;

export type OrderStatus = (typeof orderStatuses)[number];

export function isOrderStatus(value: unknown): value is OrderStatus {
  return typeof value === 'string' && (orderStatuses as readonly string[]).includes(value);
}
