import type { NewOrder, OrderRepository } from './order-repository.ts';

// The sample orders of MessageBird's "SMS Order Notifications" guide.
export const sampleOrders: NewOrder[] = [
  { id: 'c2972b5b4eef349fb1e5cc3e3150a2b6', customerName: 'Hannah Hungry', phone: '+14127267380', items: '1 x Hipster Burger, Fries', status: 'pending' },
  { id: '1b992e39dc55f0c79dbe613b3ad02f29', customerName: 'Mike Madeater', phone: '+319876543211', items: '1 x Chef Special Mozzarella Pizza', status: 'delayed' },
  { id: '81dc9bdb52d04dc20036dbd8313ed055', customerName: 'Don Cheetos', phone: '+319876543212', items: '1 x Awesome Cheese Platter', status: 'confirmed' },
];

/** Seeds the sample orders into an empty orders table only; existing data is never touched. */
export function seedSampleOrders(orders: OrderRepository): Promise<number> {
  return orders.insertIfEmpty(sampleOrders);
}
