import type { Db } from '../db/database.ts';
import type { OrderStatus } from './order-status.ts';

export type Order = {
  id: string;
  customerName: string;
  phone: string;
  items: string;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  /** The status change that put the order into its current status (its latest history row). */
  statusChangeId: number | null;
};

export type StatusChange = {
  id: number;
  orderId: string;
  status: OrderStatus;
  changedAt: string;
  /** Username of the account that made the change; null for seeded or pre-account changes. */
  changedBy: string | null;
};

export type NewOrder = Pick<Order, 'id' | 'customerName' | 'phone' | 'items' | 'status'>;

export type StatusUpdate =
  | { outcome: 'changed'; order: Order; previousStatus: OrderStatus }
  | { outcome: 'unchanged'; order: Order }
  /** The order was no longer in the status the request expected: someone changed it since. */
  | { outcome: 'conflict'; order: Order; latestChange: StatusChange };

const orderColumns = `id, customer_name AS customerName, phone, items, status,
  created_at AS createdAt, updated_at AS updatedAt, delivered_at AS deliveredAt,
  (SELECT max(change.id) FROM order_status_changes AS change WHERE change.order_id = orders.id) AS statusChangeId`;

export type OrderRepository = ReturnType<typeof createOrderRepository>;

export function createOrderRepository(db: Db, now: () => Date = () => new Date()) {
  const selectAll = db.prepare(`SELECT ${orderColumns} FROM orders ORDER BY created_at, rowid`);
  const selectById = db.prepare(`SELECT ${orderColumns} FROM orders WHERE id = ?`);
  const countAll = db.prepare('SELECT count(*) FROM orders').pluck();
  const insertOrder = db.prepare(`INSERT INTO orders (id, customer_name, phone, items, status, created_at, updated_at)
    VALUES (@id, @customerName, @phone, @items, @status, @at, @at)`);
  const setStatus = db.prepare(`UPDATE orders
    SET status = @status, updated_at = @at,
        delivered_at = CASE WHEN @status = 'delivered' THEN coalesce(delivered_at, @at) ELSE delivered_at END
    WHERE id = @id`);
  const insertChange = db.prepare(
    'INSERT INTO order_status_changes (order_id, status, changed_at, changed_by) VALUES (?, ?, ?, ?)',
  );
  const selectChanges = db.prepare(`SELECT change.id, change.order_id AS orderId, change.status,
      change.changed_at AS changedAt, staff.username AS changedBy
    FROM order_status_changes AS change LEFT JOIN staff ON staff.id = change.changed_by
    WHERE change.order_id = ? ORDER BY change.id`);
  const selectLatestChange = db.prepare(`SELECT change.id, change.order_id AS orderId, change.status,
      change.changed_at AS changedAt, staff.username AS changedBy
    FROM order_status_changes AS change LEFT JOIN staff ON staff.id = change.changed_by
    WHERE change.order_id = ? ORDER BY change.id DESC LIMIT 1`);

  const findById = (id: string) => selectById.get(id) as Order | undefined;
  const latestChange = (orderId: string) => selectLatestChange.get(orderId) as StatusChange | undefined;

  const insert = db.transaction((order: NewOrder) => {
    const at = now().toISOString();
    insertOrder.run({ ...order, at });
    insertChange.run(order.id, order.status, at, null);
  });

  const updateStatus = db.transaction((id: string, status: OrderStatus, staffId: number | null, expectedStatus: OrderStatus | undefined): StatusUpdate | undefined => {
    const current = findById(id);
    if (!current) return undefined;
    if (current.status === status) return { outcome: 'unchanged', order: current };
    if (expectedStatus !== undefined && current.status !== expectedStatus) {
      return { outcome: 'conflict', order: current, latestChange: latestChange(id)! };
    }
    const at = now().toISOString();
    setStatus.run({ id, status, at });
    insertChange.run(id, status, at, staffId);
    return { outcome: 'changed', order: findById(id)!, previousStatus: current.status };
  });

  return {
    list: () => selectAll.all() as Order[],
    findById,
    count: () => countAll.get() as number,
    insert: (order: NewOrder) => insert(order),
    /** Inserts the orders only when the table is empty, checked and written in one transaction. */
    insertIfEmpty: db.transaction((newOrders: NewOrder[]) => {
      if ((countAll.get() as number) > 0) return 0;
      for (const order of newOrders) insert(order);
      return newOrders.length;
    }),
    /**
     * Records the new status and when it happened; a repeat of the current status changes nothing.
     * With `expectedStatus` (the status the page showed), an order changed since is left alone and
     * the change that overtook it is returned. Check and write share one immediate transaction, so
     * a second writer (another tablet, another process) waits instead of reading a stale status.
     */
    updateStatus: (id: string, status: OrderStatus, staffId: number | null, expectedStatus?: OrderStatus) =>
      updateStatus.immediate(id, status, staffId, expectedStatus),
    latestChange,
    history: (orderId: string) => selectChanges.all(orderId) as StatusChange[],
  };
}
