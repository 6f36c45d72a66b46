import { createHash } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { createZonedCalendar } from '../web/zoned-days.ts';
import { isOrderId, newOrderId, orderIdRule } from './order-id.ts';
import type { OrderInput } from './order-input.ts';
import { isFinished } from './order-status.ts';
import type { OrderStatus } from './order-status.ts';
import { expectedAfterDelay } from './delays.ts';
import { createWebhookRepository } from '../webhooks/webhook-repository.ts';
import type { correctedFields } from '../webhooks/webhook-events.ts';

export type Order = {
  id: string;
  /** The short number the kitchen calls out ("#17"), counting from 1 each day. */
  number: number | null;
  customerName: string;
  phone: string;
  /** One item per line. */
  items: string;
  note: string | null;
  /** Where the driver takes it, on one line; null for a pick-up order. */
  deliveryAddress: string | null;
  /** The online shop's or POS's own id for the order, when it came through the API. */
  externalId: string | null;
  /** The time the customer asked for it (an order for later); null for as soon as possible. */
  scheduledFor: string | null;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  /** The status change that put the order into its current status (its latest history row). */
  statusChangeId: number | null;
  /** 1 when the customer's number opted out of texts (opted_out_phones), else 0. */
  optedOut: 0 | 1;
  /** How many texts the customer sent back that nobody has marked read yet. */
  unreadReplies: number;
  /** The newest unread reply: its id (for "mark read up to here") and its text. */
  lastUnreadReplyId: number | null;
  lastUnreadReply: string | null;
  /** Why a cancelled order was cancelled, when a reason was given; null otherwise. */
  cancelReason: string | null;
  /** The latest delay staff set, in minutes; kept when the order moves on. */
  delayMinutes: number | null;
  /** When the kitchen expects to deliver, as the latest delay set it; kept when the order moves on. */
  expectedAt: string | null;
};

export type StatusChange = {
  id: number;
  orderId: string;
  status: OrderStatus;
  changedAt: string;
  /** Username of the account that made the change; null for seeded or pre-account changes. */
  changedBy: string | null;
  /** Why the order was cancelled, for a change to cancelled that gave a reason. */
  reason: string | null;
};

export type NewOrder = Pick<Order, 'id' | 'customerName' | 'phone' | 'items' | 'status'> & { note?: string | null; deliveryAddress?: string | null; scheduledFor?: string | null };

export type CreateOrder = OrderInput & {
  externalId: string | null;
  /** The New order form's one-time token, or null. */
  formToken: string | null;
  /** The staff account that typed it in, or null. */
  createdBy: number | null;
  /** The API key it came in with, or null. */
  apiKeyId: number | null;
};

/** What staff can correct in an order, as stored (items one per line). */
export type OrderFields = Pick<Order, 'customerName' | 'phone' | 'items' | 'note' | 'deliveryAddress' | 'scheduledFor'>;

export const editableFields = ['customerName', 'phone', 'deliveryAddress', 'items', 'note', 'scheduledFor'] as const satisfies ReadonlyArray<keyof OrderFields>;

/** The API's name of each field a correction changes (the shops' status updates). */
const apiFieldNames = {
  customerName: 'customer.name', phone: 'customer.phone', deliveryAddress: 'deliveryAddress', items: 'items', note: 'note', scheduledFor: 'scheduledFor',
} as const satisfies Record<(typeof editableFields)[number], (typeof correctedFields)[number]>;

/** A field's value as the API gives it: the items as a list. */
const apiFieldValue = (field: keyof OrderFields, value: string | null) => (field === 'items' && value !== null ? value.split('\n') : value);

/** A field's value before and after a correction. */
export type FieldChange = { field: keyof OrderFields; before: string | null; after: string | null };

export type OrderEdit = {
  id: number;
  editedAt: string;
  /** Username of the account that made it, or "API key <name>" for a shop's. */
  editedBy: string | null;
  changes: FieldChange[];
};

/**
 * A short digest of an order's fields: what an order held when it came in (its intake digest), and
 * the version of the order an edit form was opened on.
 */
export function orderDigest(fields: OrderFields): string {
  // An order for as soon as possible leaves its (empty) time out, so the digests of orders from
  // before orders could be scheduled, kept as their intake digests, still match.
  const values = editableFields.filter((field) => field !== 'scheduledFor' || fields.scheduledFor).map((field) => fields[field] ?? null);
  return createHash('sha256').update(JSON.stringify(values)).digest('base64url').slice(0, 22);
}

/**
 * Why a text was never sent: its order moved on to another status first ("Not sent: the order was
 * cancelled before it went out"). News the order has left behind is not sent late.
 */
export function movedOnReason(status: OrderStatus): string {
  return `Not sent: the order was ${status === 'pending' ? 'set back to pending' : status} before it went out`;
}

/** Why a text was never sent: the order's number was corrected first. */
export function numberCorrectedReason(from: string, to: string): string {
  return `Not sent: the order's number was corrected from ${from} to ${to} before it went out`;
}

export type EditResult =
  | { outcome: 'edited'; order: Order; changes: FieldChange[]; cancelledTexts: number }
  | { outcome: 'unchanged'; order: Order }
  /** Finished orders (delivered or cancelled) are history: they are not corrected any more. */
  | { outcome: 'finished'; order: Order }
  /** The order was corrected (or its fields changed) since the form was opened: nothing saved. */
  | { outcome: 'conflict'; order: Order };

/** A shop's cancellation through the API. */
export type ShopCancel =
  | { outcome: 'changed'; order: Order; previousStatus: OrderStatus; cancelledTexts: number }
  | { outcome: 'unchanged'; order: Order }
  | { outcome: 'delivered'; order: Order };

/** "exists": an order with that externalId or form token was already there; `sameOrder` says whether it matches. */
export type CreateResult =
  | { outcome: 'created'; order: Order }
  | { outcome: 'exists'; order: Order; sameOrder: boolean };

/** A delay given with a change to delayed: its minutes, and when the board starts calling an order late. */
export type Delay = { minutes: number; lateAfterMinutes: number };

export type StatusUpdate =
  /** `cancelledTexts`: texts still queued about the order's earlier statuses, stopped by the change. */
  | { outcome: 'changed'; order: Order; previousStatus: OrderStatus; cancelledTexts: number }
  | { outcome: 'unchanged'; order: Order }
  /** The order was no longer in the status the request expected: someone changed it since. */
  | { outcome: 'conflict'; order: Order; latestChange: StatusChange };

/** The columns of an Order row, for every query that returns one (the board's too). */
export const orderColumns = `id, number, customer_name AS "customerName", phone, items, note,
  delivery_address AS "deliveryAddress", external_id AS "externalId", scheduled_for AS "scheduledFor", status,
  created_at AS "createdAt", updated_at AS "updatedAt", delivered_at AS "deliveredAt",
  delay_minutes AS "delayMinutes", expected_at AS "expectedAt",
  (SELECT max(change.id) FROM order_status_changes AS change WHERE change.order_id = orders.id) AS "statusChangeId",
  CASE WHEN EXISTS (SELECT 1 FROM opted_out_phones AS opted WHERE opted.phone = orders.phone) THEN 1 ELSE 0 END AS "optedOut",
  (SELECT count(*) FROM customer_replies AS reply WHERE reply.order_id = orders.id AND reply.read_at IS NULL) AS "unreadReplies",
  (SELECT max(reply.id) FROM customer_replies AS reply WHERE reply.order_id = orders.id AND reply.read_at IS NULL) AS "lastUnreadReplyId",
  (SELECT reply.body FROM customer_replies AS reply WHERE reply.order_id = orders.id AND reply.read_at IS NULL
    ORDER BY reply.id DESC LIMIT 1) AS "lastUnreadReply",
  CASE WHEN orders.status = 'cancelled' THEN (SELECT change.reason FROM order_status_changes AS change
    WHERE change.order_id = orders.id ORDER BY change.id DESC LIMIT 1) END AS "cancelReason"`;

export type OrderRepository = ReturnType<typeof createOrderRepository>;

export type OrderRepositoryOptions = {
  /** The kitchen's TIME_ZONE, whose days the order numbers count; the server's zone when not given (tools and tests). */
  timeZone?: string;
  now?: () => Date;
};

// Who made a change: the staff account, or the API key a shop sent it with.
const changeColumns = `change.id, change.order_id AS "orderId", change.status, change.reason,
  change.changed_at AS "changedAt", coalesce(staff.username, 'API key ' || api_key.name) AS "changedBy"
  FROM order_status_changes AS change LEFT JOIN staff ON staff.id = change.changed_by
  LEFT JOIN api_keys AS api_key ON api_key.id = change.api_key_id`;

export function createOrderRepository(db: Database, options: OrderRepositoryOptions = {}) {
  const now = options.now ?? (() => new Date());
  const calendar = createZonedCalendar(options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const shopEvents = createWebhookRepository(db, now);
  const sql = {
    selectAll: `SELECT ${orderColumns} FROM orders ORDER BY created_at, rowid`,
    selectById: `SELECT ${orderColumns} FROM orders WHERE id = ?`,
    selectByExternalId: `SELECT ${orderColumns} FROM orders WHERE external_id = ?`,
    countAll: 'SELECT count(*) FROM orders',
    // Whether there is any order: one row read, where count(*) reads an index of every order (on a
    // million orders, 40 ms and 9 MB of SQLite's memory that stayed with the server, at each start).
    anyOrder: 'SELECT 1 FROM orders LIMIT 1',
    selectExisting: `SELECT ${orderColumns}, intake_digest AS "intakeDigest" FROM orders WHERE external_id = @externalId
      UNION ALL SELECT ${orderColumns}, intake_digest AS "intakeDigest" FROM orders WHERE form_token = @formToken LIMIT 1`,
    nextNumber: 'SELECT coalesce(max(number), 0) + 1 FROM orders WHERE day = ?',
    dayOfOrder: 'SELECT day FROM orders WHERE id = ?',
    setNumber: 'UPDATE orders SET number = @number, day = @day WHERE id = @id',
    // The unique indexes on external_id and form_token decide which of two identical requests
    // makes the order. PostgreSQL takes one ON CONFLICT clause only: there any unique index counts,
    // and create() below still refuses to drop an order silently when neither key matches.
    insertOrder: `INSERT INTO orders
        (id, number, day, customer_name, phone, items, note, delivery_address, scheduled_for, intake_digest, external_id, form_token, api_key_id, status, created_at, updated_at)
      VALUES (@id, @number, @day, @customerName, @phone, @items, @note, @deliveryAddress, @scheduledFor, @intakeDigest, @externalId, @formToken, @apiKeyId, @status, @at, @at)
      ${db.pick({ sqlite: 'ON CONFLICT (external_id) DO NOTHING ON CONFLICT (form_token) DO NOTHING', postgres: 'ON CONFLICT DO NOTHING' })}`,
    setStatus: `UPDATE orders
      SET status = @status, updated_at = @at,
          delivered_at = CASE WHEN @status = 'delivered' THEN coalesce(delivered_at, @at) ELSE delivered_at END
      WHERE id = @id`,
    setDelay: 'UPDATE orders SET delay_minutes = @minutes, expected_at = @expectedAt WHERE id = @id',
    setFields: `UPDATE orders SET customer_name = @customerName, phone = @phone, items = @items, note = @note,
        delivery_address = @deliveryAddress, scheduled_for = @scheduledFor, updated_at = @at
      WHERE id = @id`,
    insertEdit: 'INSERT INTO order_edits (order_id, edited_at, edited_by, api_key_id, changes) VALUES (?, ?, ?, ?, ?)',
    selectEdits: `SELECT edit.id, edit.edited_at AS "editedAt", coalesce(staff.username, 'API key ' || api_key.name) AS "editedBy", edit.changes
      FROM order_edits AS edit LEFT JOIN staff ON staff.id = edit.edited_by
      LEFT JOIN api_keys AS api_key ON api_key.id = edit.api_key_id WHERE edit.order_id = ? ORDER BY edit.id`,
    // Texts still waiting to go to the number the order had: they would reach the wrong phone. One
    // already handed to MessageBird cannot be called back.
    cancelQueuedToOldNumber: `UPDATE messages SET state = 'cancelled', next_attempt_at = NULL, error_description = @reason, updated_at = @at
      WHERE order_id = @id AND state = 'queued' AND recipient <> @phone`,
    // Texts still waiting (for a retry) about a status the order has now left: "we are preparing
    // your food" must not reach a customer after the driver left, or after a cancellation. One
    // already handed to MessageBird cannot be called back. Staff's answers to a customer's text are
    // about no status: they stay.
    cancelQueuedForOrder: `UPDATE messages SET state = 'cancelled', next_attempt_at = NULL, error_description = @reason, updated_at = @at
      WHERE order_id = @id AND state = 'queued' AND kind = 'status'`,
    insertChange: 'INSERT INTO order_status_changes (order_id, status, changed_at, changed_by, api_key_id, reason) VALUES (?, ?, ?, ?, ?, ?)',
    selectChanges: `SELECT ${changeColumns} WHERE change.order_id = ? ORDER BY change.id`,
    selectLatestChange: `SELECT ${changeColumns} WHERE change.order_id = ? ORDER BY change.id DESC LIMIT 1`,
  };

  const findById = (id: string) => db.get<Order>(sql.selectById, [id]);
  const latestChange = (orderId: string) => db.get<StatusChange>(sql.selectLatestChange, [orderId]);
  const count = async () => (await db.value<number>(sql.countAll))!;

  /**
   * Writes the order with the next number of the day; false when its externalId or form token is
   * taken. Callers run it in a transaction: the day's lock is taken before the number is read, so
   * two writers (processes, instances) can never read the same "next" number.
   */
  const insertRow = async (order: NewOrder & { externalId?: string | null; formToken?: string | null; apiKeyId?: number | null }, changedBy: number | null) => {
    if (!isOrderId(order.id)) throw new TypeError(`Order id ${JSON.stringify(order.id)} ${orderIdRule}`);
    const moment = now();
    const at = moment.toISOString();
    // An order for later takes a number of the day it is due, when the kitchen calls it out: a
    // pre-order for tomorrow taken today as #17 would meet tomorrow's own #17.
    const day = calendar.dayOf(order.scheduledFor ? new Date(order.scheduledFor) : moment);
    await db.lock(`order-numbers:${day}`);
    const number = await db.value<number>(sql.nextNumber, [day]);
    const row = { note: null, deliveryAddress: null, scheduledFor: null, externalId: null, formToken: null, apiKeyId: null, ...order };
    const inserted = await db.run(sql.insertOrder, { ...row, intakeDigest: orderDigest(row), number, day, at });
    if (inserted.changes === 0) return false;
    await db.run(sql.insertChange, [order.id, order.status, at, changedBy, row.apiKeyId, null]);
    return true;
  };

  /**
   * Writes a change of `current` to `status` (the caller holds the order's lock), with a delay's
   * minutes and new expected time when given, and who made it. The texts still queued about the
   * order's earlier statuses are cancelled in the same transaction.
   */
  /** A correction of `current` (read under the order's lock) to `fields`; see edit. */
  const applyEdit = async (current: Order, fields: OrderFields, seenVersion: string, by: { staffId: number | null; apiKeyId?: number }): Promise<EditResult> => {
    const { id } = current;
    if (isFinished(current.status)) return { outcome: 'finished', order: current };
    if (orderDigest(current) !== seenVersion) return { outcome: 'conflict', order: current };
    const changes: FieldChange[] = editableFields
      .filter((field) => current[field] !== fields[field])
      .map((field) => ({ field, before: current[field], after: fields[field] }));
    if (changes.length === 0) return { outcome: 'unchanged', order: current };
    const at = now().toISOString();
    await db.run(sql.setFields, { id, ...fields, at });
    // A new time asked for on another day moves the order among that day's numbers (see insertRow);
    // taken back to as soon as possible, it is one of today's.
    if (current.scheduledFor !== fields.scheduledFor) {
      const day = calendar.dayOf(fields.scheduledFor ? new Date(fields.scheduledFor) : now());
      if (day !== await db.value<string>(sql.dayOfOrder, [id])) {
        await db.lock(`order-numbers:${day}`);
        await db.run(sql.setNumber, { id, day, number: await db.value<number>(sql.nextNumber, [day]) });
      }
    }
    const editId = await db.value<number>(`${sql.insertEdit} RETURNING id`, [id, at, by.staffId, by.apiKeyId ?? null, JSON.stringify(Object.fromEntries(changes.map((change) => [change.field, [change.before, change.after]])))]);
    const cancelledTexts = current.phone === fields.phone ? 0 : (await db.run(sql.cancelQueuedToOldNumber, {
      id, phone: fields.phone, at, reason: numberCorrectedReason(current.phone, fields.phone),
    })).changes;
    const order = (await findById(id))!;
    // The shop that sent the order hears of the correction, in this transaction (as of a status change).
    await shopEvents.orderCorrected({
      orderId: id, externalId: order.externalId, number: order.number, correctedAt: at, version: orderDigest(order), sequence: Number(editId),
      changes: changes.map((change) => ({ field: apiFieldNames[change.field], before: apiFieldValue(change.field, change.before), after: apiFieldValue(change.field, change.after) })),
    });
    return { outcome: 'edited', order, changes, cancelledTexts };
  };

  const recordChange = async (current: Order, status: OrderStatus, by: { staffId: number | null; apiKeyId?: number }, delay?: Delay, reason?: string) => {
    const moment = now();
    const at = moment.toISOString();
    const id = current.id;
    await db.run(sql.setStatus, { id, status, at });
    if (delay) {
      await db.run(sql.setDelay, { id, minutes: delay.minutes, expectedAt: expectedAfterDelay(current, delay.minutes, moment, delay.lateAfterMinutes).toISOString() });
    }
    // A reason belongs to a cancel only.
    const changeReason = status === 'cancelled' ? reason ?? null : null;
    const changeId = await db.value<number>(`${sql.insertChange} RETURNING id`, [id, status, at, by.staffId, by.apiKeyId ?? null, changeReason]);
    const cancelledTexts = (await db.run(sql.cancelQueuedForOrder, { id, at, reason: movedOnReason(status) })).changes;
    const order = (await findById(id))!;
    // The shop that sent the order hears of the change (if its key has an address), in this
    // transaction: an event is never lost, nor sent for a change that did not happen.
    await shopEvents.statusChanged({
      orderId: id, externalId: order.externalId, number: order.number, status, previousStatus: current.status,
      changedAt: at, reason: changeReason, expectedAt: order.expectedAt, sequence: Number(changeId),
    });
    return { outcome: 'changed' as const, order, previousStatus: current.status, cancelledTexts };
  };

  return {
    list: () => db.all<Order>(sql.selectAll),
    findById,
    /** The order a shop sent with its own id, if any. */
    findByExternalId: (externalId: string) => db.get<Order>(sql.selectByExternalId, [externalId]),
    count,
    insert: (order: NewOrder) => db.transaction(async () => {
      await insertRow(order, null);
    }),
    /** Inserts the orders only when the table is empty, checked and written in one transaction. */
    insertIfEmpty: (newOrders: NewOrder[]) => db.transaction(async () => {
      await db.lock('sample-orders');
      if ((await db.value<number>(sql.anyOrder)) !== undefined) return 0;
      for (const order of newOrders) await insertRow(order, null);
      return newOrders.length;
    }),
    /** A new pending order with a random id and the next number of the day. */
    create: (input: CreateOrder) => db.transaction(async (): Promise<CreateResult> => {
      // 128 random bits: an order's address cannot be guessed from another's.
      const id = newOrderId();
      const items = input.items.join('\n');
      const fields = { customerName: input.customerName, phone: input.phone, items, note: input.note, deliveryAddress: input.deliveryAddress, scheduledFor: input.scheduledFor ?? null };
      const keys = { externalId: input.externalId, formToken: input.formToken };
      if (await insertRow({ id, status: 'pending', ...fields, ...keys, apiKeyId: input.apiKeyId }, input.createdBy)) {
        return { outcome: 'created', order: (await findById(id))! };
      }
      const found = await db.get<Order & { intakeDigest: string | null }>(sql.selectExisting, keys);
      // Only the two keys may turn an insert into "exists": anything else must not lose an order.
      if (!found) throw new Error('The order was not stored, though no order has its externalId or form token');
      const { intakeDigest, ...existing } = found;
      // Compared with what the order held when it came in: a correction made since by staff does
      // not turn the shop's retry into a conflict.
      return { outcome: 'exists', order: existing, sameOrder: (intakeDigest ?? orderDigest(existing)) === orderDigest(fields) };
    }),
    /**
     * Records the new status and when it happened; a repeat of the current status changes nothing.
     * With `expectedStatus` (the status the page showed), an order changed since is left alone and
     * the change that overtook it is returned. Check and write share one transaction under the
     * order's lock, so a second writer (another tablet, process or instance) waits instead of
     * reading a stale status. A `delay` (with a change to delayed) also records its minutes and the
     * new expected time, computed from the row read under the same lock. Inside another
     * transaction it joins that one.
     */
    updateStatus: (id: string, status: OrderStatus, staffId: number | null, expectedStatus?: OrderStatus, delay?: Delay, reason?: string) =>
      db.transaction(async (): Promise<StatusUpdate | undefined> => {
        await db.lock(`order:${id}`);
        const current = await findById(id);
        if (!current) return undefined;
        if (current.status === status) return { outcome: 'unchanged', order: current };
        if (expectedStatus !== undefined && current.status !== expectedStatus) {
          return { outcome: 'conflict', order: current, latestChange: (await latestChange(id))! };
        }
        return recordChange(current, status, { staffId }, delay, reason);
      }),
    /**
     * Cancels the order for the shop that sent it (the API), named by its API key, as staff cancel
     * it on the board: queued texts stopped, nothing texted. Already cancelled: 'unchanged'. A
     * delivered order is not cancelled ('delivered').
     */
    cancelForShop: (id: string, apiKeyId: number, reason?: string) => db.transaction(async (): Promise<ShopCancel | undefined> => {
      await db.lock(`order:${id}`);
      const current = await findById(id);
      if (!current) return undefined;
      if (current.status === 'cancelled') return { outcome: 'unchanged', order: current };
      if (current.status === 'delivered') return { outcome: 'delivered', order: current };
      return recordChange(current, 'cancelled', { staffId: null, apiKeyId }, undefined, reason);
    }),
    /**
     * Corrects the order's fields, if it still holds what the form was opened on (`seenVersion`, its
     * orderDigest then) and is not finished (delivered or cancelled). Records who changed which field from what. A new
     * phone number cancels the texts still queued for the old one, in the same transaction, under
     * the order's lock that queueing a text takes too: no text can slip out to the old number.
     */
    edit: (id: string, fields: OrderFields, seenVersion: string, editedBy: number | null) =>
      db.transaction(async (): Promise<EditResult | undefined> => {
        await db.lock(`order:${id}`);
        const current = await findById(id);
        if (!current) return undefined;
        return applyEdit(current, fields, seenVersion, { staffId: editedBy });
      }),
    /**
     * A shop's correction through the API: only the fields it sends change, merged onto the order as
     * it is under the lock (so a staff correction saved meanwhile is kept where the shop sent
     * nothing). With `seenVersion` (the `version` the shop read) it is refused as a conflict when the
     * order was corrected since; without one the shop's fields win.
     */
    editForShop: (id: string, patch: Partial<OrderFields>, apiKeyId: number, seenVersion?: string) =>
      db.transaction(async (): Promise<EditResult | undefined> => {
        await db.lock(`order:${id}`);
        const current = await findById(id);
        if (!current) return undefined;
        const fields = Object.fromEntries(editableFields.map((field) => [field, field in patch ? patch[field] : current[field]])) as OrderFields;
        return applyEdit(current, fields, seenVersion ?? orderDigest(current), { staffId: null, apiKeyId });
      }),
    /** The order's corrections, oldest first. */
    async edits(orderId: string): Promise<OrderEdit[]> {
      const rows = await db.all<Omit<OrderEdit, 'changes'> & { changes: string }>(sql.selectEdits, [orderId]);
      return rows.map((row) => ({
        ...row,
        changes: Object.entries(JSON.parse(row.changes) as Record<string, [string | null, string | null]>)
          .map(([field, [before, after]]) => ({ field: field as FieldChange['field'], before, after })),
      }));
    },
    latestChange,
    history: (orderId: string) => db.all<StatusChange>(sql.selectChanges, [orderId]),
  };
}
