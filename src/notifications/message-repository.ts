import type { Db } from '../db/database.ts';
import { liveStates, stateRank } from './message-states.ts';
import { createOptOutRepository, optedOutReason } from './opt-out-repository.ts';
import type { OptOut } from './opt-out-repository.ts';
import type { MessageState } from './message-states.ts';

export type Message = {
  id: number;
  orderId: string;
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

export type NewMessage = Pick<Message, 'orderId' | 'orderStatus' | 'body' | 'recipient' | 'reference'> & {
  requestedBy: number | null;
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

const columns = `message.id, message.order_id AS orderId, message.order_status AS orderStatus,
  message.status_change_id AS statusChangeId, message.body,
  message.recipient, message.reference, message.state, message.attempts, message.next_attempt_at AS nextAttemptAt,
  message.provider_message_id AS providerMessageId, message.provider_status AS providerStatus,
  message.provider_status_at AS providerStatusAt, message.error_code AS errorCode,
  message.error_description AS errorDescription, staff.username AS requestedBy,
  message.requested_at AS requestedAt, message.updated_at AS updatedAt, message.last_attempt_at AS lastAttemptAt`;
const from = 'FROM messages AS message LEFT JOIN staff ON staff.id = message.requested_by';
const live = liveStates.map((state) => `'${state}'`).join(', ');

export type MessageRepository = ReturnType<typeof createMessageRepository>;

export function createMessageRepository(db: Db, now: () => Date = () => new Date()) {
  const optOuts = createOptOutRepository(db, now);
  const statements = {
    insert: db.prepare(`INSERT INTO messages (order_id, order_status, status_change_id, body, recipient, reference, state, next_attempt_at, requested_by, requested_at, updated_at)
      VALUES (@orderId, @orderStatus, @statusChangeId, @body, @recipient, @reference, 'queued', @at, @requestedBy, @at, @at)`),
    // The change that put the order into the status a message announces: the latest one to it.
    statusChangeFor: db.prepare('SELECT max(id) FROM order_status_changes WHERE order_id = ? AND status = ?').pluck(),
    findById: db.prepare(`SELECT ${columns} ${from} WHERE message.id = ?`),
    findByReference: db.prepare(`SELECT ${columns} ${from} WHERE message.reference = ?`),
    findByProviderId: db.prepare(`SELECT ${columns} ${from} WHERE message.provider_message_id = ?`),
    forOrder: db.prepare(`SELECT ${columns} ${from} WHERE message.order_id = ? ORDER BY message.id DESC`),
    // One index seek per order shown (messages_order), so the board's cost follows the orders on
    // it, not the size of the message log or of the orders table.
    latestFor: db.prepare(`SELECT ${columns} ${from}
      WHERE message.id IN (SELECT (SELECT max(id) FROM messages WHERE order_id = shown.value) FROM json_each(?) AS shown)`),
    // The message already sent, or on its way, for one status change: see liveStates.
    liveForChange: db.prepare(`SELECT ${columns} ${from}
      WHERE message.order_id = ? AND message.order_status = ? AND message.status_change_id IS ? AND message.state IN (${live})
      ORDER BY message.id DESC LIMIT 1`),
    // Claims are single UPDATE statements, which take the write lock before reading: two processes
    // can never claim the same row.
    claimDue: db.prepare(`UPDATE messages SET state = 'sending', attempts = attempts + 1, claimed_by = @owner,
        lease_until = @leaseUntil, last_attempt_at = @at, updated_at = @at
      WHERE id IN (SELECT id FROM messages WHERE state = 'queued' AND next_attempt_at <= @at
        AND NOT EXISTS (SELECT 1 FROM opted_out_phones WHERE phone = messages.recipient) ORDER BY next_attempt_at, id LIMIT @limit)
      RETURNING id`).pluck(),
    // A text queued (or put back for a retry) for a number that has opted out since is never sent.
    cancelOptedOut: db.prepare(`UPDATE messages SET state = 'cancelled', next_attempt_at = NULL, error_description = @reason, updated_at = @at
      WHERE state = 'queued' AND recipient IN (SELECT phone FROM opted_out_phones)`),
    claimChecks: db.prepare(`UPDATE messages SET claimed_by = @owner, lease_until = @leaseUntil
      WHERE id IN (SELECT id FROM messages WHERE state = 'checking' AND next_attempt_at <= @at
        AND (lease_until IS NULL OR lease_until < @at) ORDER BY next_attempt_at, id LIMIT @limit)
      RETURNING id`).pluck(),
    // A look-up in progress (a live lease) is not due: counting it would make the dispatcher spin.
    nextDue: db.prepare(`SELECT min(due) FROM (
        SELECT min(next_attempt_at) AS due FROM messages WHERE state = 'queued'
        UNION ALL SELECT min(next_attempt_at) FROM messages WHERE state = 'checking' AND (lease_until IS NULL OR lease_until < @at))`).pluck(),
    renewLeases: db.prepare(`UPDATE messages SET lease_until = @leaseUntil WHERE claimed_by = @owner AND state IN ('sending', 'checking')`),
    // A send whose owner stopped renewing its lease (crashed, or frozen) has an unknown outcome.
    expireLeases: db.prepare(`UPDATE messages SET state = 'checking', claimed_by = NULL, lease_until = NULL,
        next_attempt_at = @at, updated_at = @at
      WHERE state = 'sending' AND (lease_until IS NULL OR lease_until < @at)`),
    releaseClaims: db.prepare(`UPDATE messages SET state = 'checking', claimed_by = NULL, lease_until = NULL, next_attempt_at = @at
      WHERE claimed_by = @owner AND state IN ('sending', 'checking')`),
    // MessageBird took the message: recorded whoever holds the claim, and never undone by a retry.
    markSent: db.prepare(`UPDATE messages SET state = 'sent', provider_message_id = @providerMessageId, claimed_by = NULL, lease_until = NULL,
      next_attempt_at = NULL, error_code = NULL, error_description = NULL, updated_at = @at WHERE id = @id AND state IN ('sending', 'checking')`),
    markNotSent: db.prepare(`UPDATE messages SET state = 'not-sent', next_attempt_at = NULL, claimed_by = NULL, lease_until = NULL,
      error_description = 'No MessageBird API key is configured', updated_at = @at WHERE id = @id AND state = 'sending' AND claimed_by = @owner`),
    markFailed: db.prepare(`UPDATE messages SET state = 'failed', next_attempt_at = NULL, claimed_by = NULL, lease_until = NULL, error_code = @errorCode,
      error_description = @errorDescription, updated_at = @at WHERE id = @id AND state IN ('sending', 'checking') AND claimed_by = @owner`),
    reschedule: db.prepare(`UPDATE messages SET state = 'queued', next_attempt_at = @nextAttemptAt, claimed_by = NULL, lease_until = NULL,
      error_code = @errorCode, error_description = @errorDescription, updated_at = @at
      WHERE id = @id AND state IN ('sending', 'checking') AND claimed_by = @owner`),
    markChecking: db.prepare(`UPDATE messages SET state = 'checking', next_attempt_at = @at, claimed_by = NULL, lease_until = NULL,
      error_code = @errorCode, error_description = @errorDescription, updated_at = @at
      WHERE id = @id AND state = 'sending' AND claimed_by = @owner`),
    checkAgainAt: db.prepare(`UPDATE messages SET next_attempt_at = @nextCheckAt, claimed_by = NULL, lease_until = NULL
      WHERE id = @id AND state = 'checking' AND claimed_by = @owner`),
    applyReport: db.prepare(`UPDATE messages SET state = @state, provider_status = @status, provider_status_at = @statusAt,
      provider_message_id = coalesce(provider_message_id, @providerMessageId),
      error_code = coalesce(@errorCode, error_code), error_description = coalesce(@reason, error_description),
      next_attempt_at = NULL, claimed_by = NULL, lease_until = NULL, updated_at = @at WHERE id = @id`),
  };

  /**
   * Applies a delivery report if it moves the message forward. A late 'sent' never overwrites
   * 'delivered'. Returns what happened, for the log.
   */
  const applyReport = db.transaction((report: DeliveryReport): 'updated' | 'stale' | 'unknown-message' | 'unknown-status' => {
    const message = (report.reference && (statements.findByReference.get(report.reference) as Message | undefined))
      || (report.providerMessageId && (statements.findByProviderId.get(report.providerMessageId) as Message | undefined))
      || undefined;
    if (!message) return 'unknown-message';
    const state = reportedStates.get(report.status);
    if (!state) return 'unknown-status';
    if (stateRank[state] <= stateRank[message.state]) return 'stale';
    statements.applyReport.run({
      id: message.id,
      state,
      status: report.status,
      statusAt: report.statusAt ?? null,
      providerMessageId: report.providerMessageId ?? null,
      errorCode: state === 'failed' || state === 'expired' ? (report.errorCode ?? null) : null,
      reason: state === 'failed' || state === 'expired' ? (report.reason ?? null) : null,
      at: at(),
    });
    return 'updated';
  });

  const findById = (id: number) => statements.findById.get(id) as Message | undefined;
  const at = () => now().toISOString();
  const leaseUntil = (claim: Claim) => new Date(now().getTime() + claim.leaseMs).toISOString();

  return {
    findById,
    forOrder: (orderId: string) => statements.forOrder.all(orderId) as Message[],
    /** The newest message of each of these orders, in one query, keyed by order id. */
    latestFor(orderIds: readonly string[]): Map<string, Message> {
      if (orderIds.length === 0) return new Map();
      return new Map((statements.latestFor.all(JSON.stringify(orderIds)) as Message[]).map((message) => [message.orderId, message]));
    },
    /**
     * Queues a message for the status change that put the order into `orderStatus`, unless one for
     * that same change is already queued, sent or delivered (unless resending): a later change back
     * to the same status is a new change and gets its own text. A recipient who opted out gets
     * nothing, whoever asks. Checks and insert share one immediate transaction, so a double click,
     * two processes or an opt-out arriving at that moment cannot slip a text through.
     */
    queue(message: NewMessage, options: { resend: boolean }): QueueResult {
      const run = db.transaction((): QueueResult => {
        const optOut = optOuts.current(message.recipient);
        if (optOut) return { outcome: 'opted-out', optOut };
        const statusChangeId = (statements.statusChangeFor.get(message.orderId, message.orderStatus) as number | null) ?? null;
        const existing = options.resend ? undefined : (statements.liveForChange.get(message.orderId, message.orderStatus, statusChangeId) as Message | undefined);
        if (existing) return { outcome: 'already-sent', message: existing };
        const result = statements.insert.run({ ...message, statusChangeId, at: at() });
        return { outcome: 'queued', message: findById(Number(result.lastInsertRowid))! };
      });
      return run.immediate();
    },

    /** Cancels queued messages whose recipient opted out after they were queued; returns how many. */
    cancelOptedOut: () => statements.cancelOptedOut.run({ reason: optedOutReason, at: at() }).changes,
    /** Moves up to `limit` due messages to 'sending' under the claim, counting the attempt, and returns them. */
    claimDue(limit: number, claim: Claim): Message[] {
      const ids = statements.claimDue.all({ at: at(), limit, owner: claim.owner, leaseUntil: leaseUntil(claim) }) as number[];
      return ids.map((id) => findById(id)!);
    },
    /** Claims up to `limit` messages in 'checking' that are due for a look-up and not held by a live claim. */
    claimChecks(limit: number, claim: Claim): Message[] {
      const ids = statements.claimChecks.all({ at: at(), limit, owner: claim.owner, leaseUntil: leaseUntil(claim) }) as number[];
      return ids.map((id) => findById(id)!);
    },
    nextDueAt: () => statements.nextDue.get({ at: at() }) as string | null,
    /** Extends every lease the owner holds; returns how many. */
    renewLeases: (claim: Claim) => statements.renewLeases.run({ owner: claim.owner, leaseUntil: leaseUntil(claim) }).changes,
    /** Sends whose owner's lease ran out (a crash) move to 'checking': looked up before any resend. */
    expireLeases: () => statements.expireLeases.run({ at: at() }).changes,
    /** On shutdown: what the owner still holds is checked by whoever starts next, at once. */
    releaseClaims: (owner: string) => statements.releaseClaims.run({ owner, at: at() }).changes,

    markSent: (id: number, providerMessageId: string) => statements.markSent.run({ id, providerMessageId, at: at() }).changes,
    markNotSent: (id: number, owner: string) => statements.markNotSent.run({ id, owner, at: at() }).changes,
    markFailed: (id: number, owner: string, problem: Problem) =>
      statements.markFailed.run({ id, owner, errorCode: problem.code ?? null, errorDescription: problem.reasons.join('\n'), at: at() }).changes,
    reschedule: (id: number, owner: string, nextAttemptAt: Date, problem: Problem) =>
      statements.reschedule.run({ id, owner, nextAttemptAt: nextAttemptAt.toISOString(), errorCode: problem.code ?? null, errorDescription: problem.reasons.join('\n'), at: at() }).changes,
    /** The outcome of the send is unknown: look it up at MessageBird before anything else. */
    markChecking: (id: number, owner: string, problem: Problem) =>
      statements.markChecking.run({ id, owner, errorCode: problem.code ?? null, errorDescription: problem.reasons.join('\n'), at: at() }).changes,
    checkAgainAt: (id: number, owner: string, nextCheckAt: Date) =>
      statements.checkAgainAt.run({ id, owner, nextCheckAt: nextCheckAt.toISOString() }).changes,

    /** Read and write in one immediate transaction, so a second writer waits instead of failing. */
    applyReport: (report: DeliveryReport) => applyReport.immediate(report),
  };
}

