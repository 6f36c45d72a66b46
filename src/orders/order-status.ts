export const orderStatuses = ['pending', 'confirmed', 'delayed', 'delivered'] as const;

export type OrderStatus = (typeof orderStatuses)[number];
