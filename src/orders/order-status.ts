export const orderStatuses = ['pending', 'confirmed', 'delayed', 'delivered', 'cancelled'] as const;

export type OrderStatus = (typeof orderStatuses)[number];

/**
 * The statuses that take an order off the board: it is finished, handed to the driver or called
 * off. Finished orders are listed on the Done view under the day they finished, are not corrected
 * any more, and can still be set back to an active status (a mistaken click, a customer who calls
 * back).
 */
export const finishedStatuses = ['delivered', 'cancelled'] as const satisfies readonly OrderStatus[];

export type FinishedStatus = (typeof finishedStatuses)[number];

export function isFinished(status: OrderStatus): status is FinishedStatus {
  return (finishedStatuses as readonly OrderStatus[]).includes(status);
}

/** How long a cancel's reason may be, on the board and through the API. */
export const cancelReasonMaxLength = 200;

/**
 * The same as SQL, for the queries the board and the Done view run. The partial indexes
 * orders_active and orders_done (migrations) carry exactly these conditions: SQLite uses a partial
 * index only for a query that repeats its WHERE term.
 */
export const activeOrderSql = "status NOT IN ('delivered', 'cancelled')";
export const finishedOrderSql = "status IN ('delivered', 'cancelled')";
