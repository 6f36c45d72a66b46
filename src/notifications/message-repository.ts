import type { Database } from '../db/database.ts';
import { liveStates, stateRank } from './message-states.ts';
import { createOptOutRepository, optedOutReason } from './opt-out-repository.ts';
import type { OptOut } from './opt-out-repository.ts';
import { movedOnReason, numberCorrectedReason } from '../orders/order-repository.ts';
import type { OrderStatus } from '../orders/order-status.ts';
import type { MessageState } from './message-states.ts';

export type Message = {
  id: number;
  orderId: string;
  /** 'status': the text about a status change (Notify, Update with the box); 'answer': staff's own text to a customer who wrote. */
  kind: MessageKind;
  /** The order's status when it was queued. */
  orderStatus: string;
  /** The status change this message announces; null for an old message no history row matched. */
  statusChangeId: number | null;
  body: string;
  recipient: string;
  reference: string;
  state: MessageState;
  attempts: number;
  nextAttemptAt: string | null;
  providerMessageId: string | null;
  providerStatus: string | null;
  providerStatusAt: string | null;
  errorCode: number | null;
  /** The reasons of the last failure, one per line. */
  errorDescription: string | null;
  /** Username of the account that asked for the message. */
  requestedBy: string | null;
  requestedAt: string;
  updatedAt: string;
  /** When the last send started; look-ups search MessageBird from then on. */
  lastAttemptAt: string | null;
};

export type MessageKind = 'status' | 'answer';

export type NewMessage = Pick<Message, 'orderId' | 'orderStatus' | 'body' | 'recipient' | 'reference'> & {
  requestedBy: number | null;
  /** 'status' unless given. */
  kind?: MessageKind;
};

export type QueueResult =
  | { outcome: 'queued'; message: Message }
  | { outcome: 'already-sent'; message: Message }
  /** The recipient opted out: nothing was queued. */
  | { outcome: 'opted-out'; optOut: OptOut };

/** A MessageBird delivery report, already checked for authenticity. */
export type DeliveryReport = {
  reference: string | undefined;
  providerMessageId: string | undefined;
  status: string;
  statusAt: string | undefined;
  reason: string | undefined;
  errorCode: number | undefined;
};

// MessageBird's message statuses and the state each one moves a message to. A Map, because the
// status comes from the request: "constructor" must not find Object's constructor.
// https://developers.messagebird.com/api/sms-messaging/#sms-statuses
const reportedStates = new Map<string, MessageState>([
  ['scheduled', 'sent'],
  ['sent', 'sent'],
  ['buffered', 'sent'],
  ['delivered', 'delivered'],
  ['expired', 'expired'],
  ['delivery_failed', 'failed'],
]);

export type Problem = { code: number | undefined; reasons: string[] };

/** A claim on a row: the process that holds it and until when. */
export type Claim = { owner: string; leaseMs: number };

/** Whether a claimed message may go now: 'cancel' says why not (kept as its error description). */
export type BeforeSend = { verdict: 'send' } | { verdict: 'not-ours' } | { verdict: 'cancel'; reason: string };

const columns = `message.id, message.order_id AS "orderId", message.kind, message.order_status AS "orderStatus",
  message.status_change_id AS "statusChangeId", message.body,
  message.recipient, message.reference, message.state, message.attempts, message.next_attempt_at AS "nextAttemptAt",
  message.provider_message_id AS "providerMessageId", message.provider_status AS "providerStatus",
  message.provider_status_at AS "providerStatusAt", message.error_code AS "errorCode",
  message.error_description AS "errorDescription", staff.username AS "requestedBy",
  message.requested_at AS "requestedAt", message.updated_at AS "updatedAt", message.last_attempt_at AS "lastAttemptAt"`;
const from = 'FROM messages AS message LEFT JOIN staff ON staff.id = message.requested_by';
const live = liveStates.map((state) => `'${state}'`).join(', ');
// A state's rank as SQL, from the one list: a report is applied only when it moves the message forward.
const rankOfState = `CASE state ${Object.entries(stateRank).map(([state, rank]) => `WHEN '${state}' THEN ${rank}`).join(' ')} END`;

export type MessageRepository = ReturnType<typeof createMessageRepository>;

export function createMessageRepository(db: Database, now: () => Date = () => new Date()) {
  const optOuts = createOptOutRepository(db, now);
  // Claims are single UPDATE statements. SQLite takes the write lock before reading, so two
  // processes can never claim the same row; PostgreSQL's inner SELECT locks the rows it picks and
  // skips those another instance is claiming at that moment.
  // https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE
  // The pick is a MATERIALIZED CTE, run once: written as `WHERE id IN (SELECT … LIMIT … SKIP
  // LOCKED)`, PostgreSQL may run the sub-select again for rows it re-checks after waiting on a
  // concurrent update, and one claim of 2 took all 60 due messages in a test.
  const skipLocked = db.pick({ sqlite: '', postgres: 'FOR UPDATE SKIP LOCKED' });
  const sql = {
    insert: `INSERT INTO messages (order_id, kind, order_status, status_change_id, body, recipient, reference, state, next_attempt_at, requested_by, requested_at, updated_at)
      VALUES (@orderId, @kind, @orderStatus, @statusChangeId, @body, @recipient, @reference, 'queued', @at, @requestedBy, @at, @at)
      ON CONFLICT (reference) DO NOTHING RETURNING id`,
    // The change that put the order into the status a message announces: the latest one to it.
    statusChangeFor: 'SELECT max(id) FROM order_status_changes WHERE order_id = ? AND status = ?',
    findById: `SELECT ${columns} ${from} WHERE message.id = ?`,
    findByReference: `SELECT ${columns} ${from} WHERE message.reference = ?`,
    findByProviderId: `SELECT ${columns} ${from} WHERE message.provider_message_id = ?`,
    forOrder: `SELECT ${columns} ${from} WHERE message.order_id = ? ORDER BY message.id DESC`,
    // One index seek per order shown (messages_order), so the board's cost follows the orders on
    // it, not the size of the message log or of the orders table.
    latestFor: db.pick({
      sqlite: `SELECT ${columns} ${from}
        WHERE message.id IN (SELECT (SELECT max(id) FROM messages WHERE order_id = shown.value AND kind = 'status') FROM json_each(@ids) AS shown)`,
      postgres: `SELECT ${columns} ${from}
        WHERE message.id IN (SELECT (SELECT max(id) FROM messages WHERE order_id = shown AND kind = 'status') FROM unnest(CAST(@ids AS text[])) AS shown)`,
    }),
    // The message already sent, or on its way, for one status change: see liveStates.
    liveForChange: `SELECT ${columns} ${from}
      WHERE message.order_id = ? AND message.kind = 'status' AND message.order_status = ? AND message.status_change_id IS NOT DISTINCT FROM ? AND message.state IN (${live})
      ORDER BY message.id DESC LIMIT 1`,
    claimDue: `WITH picked AS MATERIALIZED (SELECT id FROM messages WHERE state = 'queued' AND next_attempt_at <= @at
        AND NOT EXISTS (SELECT 1 FROM opted_out_phones WHERE phone = messages.recipient) ORDER BY next_attempt_at, id LIMIT @limit ${skipLocked})
      UPDATE messages SET state = 'sending', attempts = attempts + 1, claimed_by = @owner,
        lease_until = @leaseUntil, last_attempt_at = @at, updated_at = @at
      WHERE id IN (SELECT id FROM picked) AND state = 'queued'
      RETURNING id`,
    // A text queued (or put back for a retry) for a number that has opted out since is never sent.
    cancelOptedOut: `UPDATE messages SET state = 'cancelled', next_attempt_at = NULL, error_description = @reason, updated_at = @at
      WHERE state = 'queued' AND recipient IN (SELECT phone FROM opted_out_phones)`,
    claimChecks: `WITH picked AS MATERIALIZED (SELECT id FROM messages WHERE state = 'checking' AND next_attempt_at <= @at
        AND (lease_until IS NULL OR lease_until < @at) ORDER BY next_attempt_at, id LIMIT @limit ${skipLocked})
      UPDATE messages SET claimed_by = @owner, lease_until = @leaseUntil
      WHERE id IN (SELECT id FROM picked) AND state = 'checking'
      RETURNING id`,
    // A look-up in progress (a live lease) is not due: counting it would make the dispatcher spin.
    nextDue: `SELECT min(due) FROM (
        SELECT min(next_attempt_at) AS due FROM messages WHERE state = 'queued'
        UNION ALL SELECT min(next_attempt_at) FROM messages WHERE state = 'checking' AND (lease_until IS NULL OR lease_until < @at)) AS due_times`,
    // Read right before a send: whether the claim still holds (a message claimed ahead waited for a
    // free slot; no row: the claim is no longer this process's), and what changed since the text
    // was queued: the number opted out, the order moved on to another status (or was cancelled), or
    // its number was corrected. Queued texts are cancelled by those changes themselves; this
    // catches one that was being sent at that moment and comes back for a retry, or one whose
    // outcome was unknown and that MessageBird turned out not to have.
    beforeSend: `SELECT EXISTS (SELECT 1 FROM opted_out_phones WHERE phone = messages.recipient) AS "optedOut",
        messages.status_change_id AS "statusChangeId", messages.recipient, orders.status AS "orderStatus", orders.phone AS "orderPhone",
        (SELECT max(change.id) FROM order_status_changes AS change WHERE change.order_id = orders.id) AS "latestChangeId"
      FROM messages JOIN orders ON orders.id = messages.order_id
      WHERE messages.id = @id AND messages.state = 'sending' AND messages.claimed_by = @owner AND messages.lease_until > @at`,
    // A claim that never reached MessageBird, undone: the attempt is not counted.
    unclaim: `UPDATE messages SET state = 'queued', attempts = attempts - 1, claimed_by = NULL, lease_until = NULL,
        last_attempt_at = CASE WHEN attempts = 1 THEN NULL ELSE last_attempt_at END, updated_at = @at
      WHERE id = @id AND state = 'sending' AND claimed_by = @owner`,
    cancelClaimed: `UPDATE messages SET state = 'cancelled', attempts = attempts - 1, next_attempt_at = NULL, claimed_by = NULL,
        lease_until = NULL, error_description = @reason, updated_at = @at
      WHERE id = @id AND state = 'sending' AND claimed_by = @owner`,
    renewLeases: `UPDATE messages SET lease_until = @leaseUntil WHERE claimed_by = @owner AND state IN ('sending', 'checking')`,
    // A send whose owner stopped renewing its lease (crashed, or frozen) has an unknown outcome.
    expireLeases: `UPDATE messages SET state = 'checking', claimed_by = NULL, lease_until = NULL,
        next_attempt_at = @at, updated_at = @at
      WHERE state = 'sending' AND (lease_until IS NULL OR lease_until < @at)`,
    releaseClaims: `UPDATE messages SET state = 'checking', claimed_by = NULL, lease_until = NULL, next_attempt_at = @at
      WHERE claimed_by = @owner AND state IN ('sending', 'checking')`,
    // MessageBird took the message: recorded whoever holds the claim, and never undone by a retry.
    markSent: `UPDATE messages SET state = 'sent', provider_message_id = @providerMessageId, claimed_by = NULL, lease_until = NULL,
      next_attempt_at = NULL, error_code = NULL, error_description = NULL, updated_at = @at WHERE id = @id AND state IN ('sending', 'checking')`,
    markNotSent: `UPDATE messages SET state = 'not-sent', next_attempt_at = NULL, claimed_by = NULL, lease_until = NULL,
      error_description = 'No MessageBird API key is configured', updated_at = @at WHERE id = @id AND state = 'sending' AND claimed_by = @owner`,
    markFailed: `UPDATE messages SET state = 'failed', next_attempt_at = NULL, claimed_by = NULL, lease_until = NULL, error_code = @errorCode,
      error_description = @errorDescription, updated_at = @at WHERE id = @id AND state IN ('sending', 'checking') AND claimed_by = @owner`,
    reschedule: `UPDATE messages SET state = 'queued', next_attempt_at = @nextAttemptAt, claimed_by = NULL, lease_until = NULL,
      error_code = @errorCode, error_description = @errorDescription, updated_at = @at
      WHERE id = @id AND state IN ('sending', 'checking') AND claimed_by = @owner`,
    markChecking: `UPDATE messages SET state = 'checking', next_attempt_at = @at, claimed_by = NULL, lease_until = NULL,
      error_code = @errorCode, error_description = @errorDescription, updated_at = @at
      WHERE id = @id AND state = 'sending' AND claimed_by = @owner`,
    checkAgainAt: `UPDATE messages SET next_attempt_at = @nextCheckAt, claimed_by = NULL, lease_until = NULL
      WHERE id = @id AND state = 'checking' AND claimed_by = @owner`,
    // Only forward: the state's rank is checked by the update itself, so a report that raced
    // another (two webhook calls, two instances) cannot move the message back.
    applyReport: `UPDATE messages SET state = @state, provider_status = @status, provider_status_at = @statusAt,
      provider_message_id = coalesce(provider_message_id, @providerMessageId),
      error_code = coalesce(@errorCode, error_code), error_description = coalesce(@reason, error_description),
      next_attempt_at = NULL, claimed_by = NULL, lease_until = NULL, updated_at = @at WHERE id = @id AND ${rankOfState} < @rank`,
  };

  const findById = (id: number) => db.get<Message>(sql.findById, [id]);
  const at = () => now().toISOString();
  const leaseUntil = (claim: Claim) => new Date(now().getTime() + claim.leaseMs).toISOString();
  const changes = async (statement: string, params: Record<string, unknown>) => (await db.run(statement, params)).changes;
  const claimed = async (statement: string, limit: number, claim: Claim): Promise<Message[]> => {
    if (limit <= 0) return [];
    const rows = await db.all<{ id: number }>(statement, { at: at(), limit, owner: claim.owner, leaseUntil: leaseUntil(claim) });
    const messages: Message[] = [];
    for (const row of rows) messages.push((await findById(row.id))!);
    return messages;
  };

  return {
    findById,
    forOrder: (orderId: string) => db.all<Message>(sql.forOrder, [orderId]),
    /** The newest message of each of these orders, in one query, keyed by order id. */
    async latestFor(orderIds: readonly string[]): Promise<Map<string, Message>> {
      if (orderIds.length === 0) return new Map();
      const rows = await db.all<Message>(sql.latestFor, { ids: db.pick<unknown>({ sqlite: JSON.stringify(orderIds), postgres: orderIds }) });
      return new Map(rows.map((message) => [message.orderId, message]));
    },
    /**
     * Queues a message for the status change that put the order into `orderStatus`, unless one for
     * that same change is already queued, sent or delivered (unless resending): a later change back
     * to the same status is a new change and gets its own text. A recipient who opted out gets
     * nothing, whoever asks. Checks and insert share one transaction under the order's and the
     * number's locks, so a double click, two processes or an opt-out arriving at that moment cannot
     * slip a text through.
     */
    queue: (message: NewMessage, options: { resend: boolean }) => db.transaction(async (): Promise<QueueResult> => {
      await db.lock(`order:${message.orderId}`);
      await db.lock(`phone:${message.recipient}`);
      const optOut = await optOuts.current(message.recipient);
      if (optOut) return { outcome: 'opted-out', optOut };
      const kind = message.kind ?? 'status';
      // An answer is its own text: no status change to announce, and no earlier text it repeats.
      const statusChangeId = kind === 'answer' ? null : (await db.value<number | null>(sql.statusChangeFor, [message.orderId, message.orderStatus])) ?? null;
      const existing = options.resend || kind === 'answer' ? undefined : await db.get<Message>(sql.liveForChange, [message.orderId, message.orderStatus, statusChangeId]);
      if (existing) return { outcome: 'already-sent', message: existing };
      const id = await db.value<number>(sql.insert, { ...message, kind, statusChangeId, at: at() });
      // The reference was queued before: the same form sent twice (a double click, a resent page).
      if (id === undefined) return { outcome: 'already-sent', message: (await db.get<Message>(sql.findByReference, [message.reference]))! };
      return { outcome: 'queued', message: (await findById(id))! };
    }),

    /** Cancels queued messages whose recipient opted out after they were queued; returns how many. */
    cancelOptedOut: () => changes(sql.cancelOptedOut, { reason: optedOutReason, at: at() }),
    /** Moves up to `limit` due messages to 'sending' under the claim, counting the attempt, and returns them. */
    claimDue: (limit: number, claim: Claim) => claimed(sql.claimDue, limit, claim),
    /** Claims up to `limit` messages in 'checking' that are due for a look-up and not held by a live claim. */
    claimChecks: (limit: number, claim: Claim) => claimed(sql.claimChecks, limit, claim),
    nextDueAt: async () => (await db.value<string | null>(sql.nextDue, { at: at() })) ?? null,
    /**
     * Whether a claimed message may go out now: 'send'; 'cancel' with the reason (the number opted
     * out, the order moved on or its number was corrected since it was queued); or 'not-ours' (the
     * claim ran out and another process took the message over).
     */
    async beforeSend(id: number, owner: string): Promise<BeforeSend> {
      const row = await db.get<{ optedOut: number | boolean; statusChangeId: number | string | null; recipient: string; orderStatus: OrderStatus; orderPhone: string; latestChangeId: number | string | null }>(sql.beforeSend, { id, owner, at: at() });
      if (!row) return { verdict: 'not-ours' };
      if (row.optedOut) return { verdict: 'cancel', reason: optedOutReason };
      // (PostgreSQL gives its BIGINT ids as strings.) A message from before messages named their change has none.
      if (row.statusChangeId !== null && Number(row.statusChangeId) !== Number(row.latestChangeId)) return { verdict: 'cancel', reason: movedOnReason(row.orderStatus) };
      if (row.orderPhone !== row.recipient) return { verdict: 'cancel', reason: numberCorrectedReason(row.recipient, row.orderPhone) };
      return { verdict: 'send' };
    },
    /** Puts a message claimed for sending, and never sent, back in the queue as it was. */
    unclaim: (id: number, owner: string) => changes(sql.unclaim, { id, owner, at: at() }),
    /** A message claimed for sending, never sent, that must not go any more (beforeSend's reason). */
    cancelClaimed: (id: number, owner: string, reason: string) => changes(sql.cancelClaimed, { id, owner, reason, at: at() }),
    /** Extends every lease the owner holds; returns how many. */
    renewLeases: (claim: Claim) => changes(sql.renewLeases, { owner: claim.owner, leaseUntil: leaseUntil(claim) }),
    /** Sends whose owner's lease ran out (a crash) move to 'checking': looked up before any resend. */
    expireLeases: () => changes(sql.expireLeases, { at: at() }),
    /** On shutdown: what the owner still holds is checked by whoever starts next, at once. */
    releaseClaims: (owner: string) => changes(sql.releaseClaims, { owner, at: at() }),

    /**
     * Does not wait for the disk (the claim before the send did): if a power cut loses this write,
     * the message is left 'sending' under a lease that runs out, and is then looked up at
     * MessageBird, found and marked sent — never sent again. The next flush covers it anyway.
     */
    markSent: async (id: number, providerMessageId: string) =>
      (await db.run(sql.markSent, { id, providerMessageId, at: at() }, { waitForDisk: false })).changes,
    markNotSent: (id: number, owner: string) => changes(sql.markNotSent, { id, owner, at: at() }),
    markFailed: (id: number, owner: string, problem: Problem) =>
      changes(sql.markFailed, { id, owner, errorCode: problem.code ?? null, errorDescription: problem.reasons.join('\n'), at: at() }),
    reschedule: (id: number, owner: string, nextAttemptAt: Date, problem: Problem) =>
      changes(sql.reschedule, { id, owner, nextAttemptAt: nextAttemptAt.toISOString(), errorCode: problem.code ?? null, errorDescription: problem.reasons.join('\n'), at: at() }),
    /** The outcome of the send is unknown: look it up at MessageBird before anything else. */
    markChecking: (id: number, owner: string, problem: Problem) =>
      changes(sql.markChecking, { id, owner, errorCode: problem.code ?? null, errorDescription: problem.reasons.join('\n'), at: at() }),
    checkAgainAt: (id: number, owner: string, nextCheckAt: Date) =>
      changes(sql.checkAgainAt, { id, owner, nextCheckAt: nextCheckAt.toISOString() }),

    /**
     * Applies a delivery report if it moves the message forward. A late 'sent' never overwrites
     * 'delivered'. Returns what happened, for the log.
     */
    async applyReport(report: DeliveryReport): Promise<'updated' | 'stale' | 'unknown-message' | 'unknown-status'> {
      const message = (report.reference ? await db.get<Message>(sql.findByReference, [report.reference]) : undefined)
        ?? (report.providerMessageId ? await db.get<Message>(sql.findByProviderId, [report.providerMessageId]) : undefined);
      if (!message) return 'unknown-message';
      const state = reportedStates.get(report.status);
      if (!state) return 'unknown-status';
      if (stateRank[state] <= stateRank[message.state]) return 'stale';
      const updated = await changes(sql.applyReport, {
        id: message.id,
        state,
        rank: stateRank[state],
        status: report.status,
        statusAt: report.statusAt ?? null,
        providerMessageId: report.providerMessageId ?? null,
        errorCode: state === 'failed' || state === 'expired' ? (report.errorCode ?? null) : null,
        reason: state === 'failed' || state === 'expired' ? (report.reason ?? null) : null,
        at: at(),
      });
      return updated === 1 ? 'updated' : 'stale';
    },
  };
}
