import type { Db } from '../db/database.ts';

export const messageStates = ['queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'not-sent'] as const;
export type MessageState = (typeof messageStates)[number];

/** States that mean the customer has been, or is about to be, texted: Notify will not send again. */
export const liveStates: readonly MessageState[] = ['queued', 'sending', 'sent', 'delivered'];

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
};

export type NewMessage = Pick<Message, 'orderId' | 'orderStatus' | 'body' | 'recipient' | 'reference'> & {
  requestedBy: number | null;
};

export type QueueResult =
  | { outcome: 'queued'; message: Message }
  | { outcome: 'already-sent'; message: Message };

/** A MessageBird delivery report, already checked for authenticity. */
export type DeliveryReport = {
  reference: string | undefined;
  providerMessageId: string | undefined;
  status: string;
  statusAt: string | undefined;
  reason: string | undefined;
  errorCode: number | undefined;
};

// MessageBird's message statuses and the state each one moves a message to.
// https://developers.messagebird.com/api/sms-messaging/#sms-statuses
const reportedStates: Record<string, MessageState> = {
  scheduled: 'sent',
  sent: 'sent',
  buffered: 'sent',
  delivered: 'delivered',
  expired: 'expired',
  delivery_failed: 'failed',
};

// States only move forward; the three final ones never change again.
const stateRank: Record<MessageState, number> = { queued: 0, sending: 1, sent: 2, delivered: 3, failed: 3, expired: 3, 'not-sent': 3 };

const columns = `message.id, message.order_id AS orderId, message.order_status AS orderStatus,
  message.status_change_id AS statusChangeId, message.body,
  message.recipient, message.reference, message.state, message.attempts, message.next_attempt_at AS nextAttemptAt,
  message.provider_message_id AS providerMessageId, message.provider_status AS providerStatus,
  message.provider_status_at AS providerStatusAt, message.error_code AS errorCode,
  message.error_description AS errorDescription, staff.username AS requestedBy,
  message.requested_at AS requestedAt, message.updated_at AS updatedAt`;
const from = 'FROM messages AS message LEFT JOIN staff ON staff.id = message.requested_by';

export type MessageRepository = ReturnType<typeof createMessageRepository>;

export function createMessageRepository(db: Db, now: () => Date = () => new Date()) {
  const statements = {
    insert: db.prepare(`INSERT INTO messages (order_id, order_status, status_change_id, body, recipient, reference, state, next_attempt_at, requested_by, requested_at, updated_at)
      VALUES (@orderId, @orderStatus, @statusChangeId, @body, @recipient, @reference, 'queued', @at, @requestedBy, @at, @at)`),
    // The change that put the order into the status a message announces: the latest one to it.
    statusChangeFor: db.prepare('SELECT max(id) FROM order_status_changes WHERE order_id = ? AND status = ?').pluck(),
    findById: db.prepare(`SELECT ${columns} ${from} WHERE message.id = ?`),
    findByReference: db.prepare(`SELECT ${columns} ${from} WHERE message.reference = ?`),
    findByProviderId: db.prepare(`SELECT ${columns} ${from} WHERE message.provider_message_id = ?`),
    forOrder: db.prepare(`SELECT ${columns} ${from} WHERE message.order_id = ? ORDER BY message.id DESC`),
    // One index seek per order (messages_order), so the board's cost follows its orders, not the
    // size of the message log.
    latestPerOrder: db.prepare(`SELECT ${columns} ${from}
      WHERE message.id IN (SELECT (SELECT max(id) FROM messages WHERE order_id = orders.id) FROM orders)`),
    // The message already sent, or on its way, for one status change: see liveStates.
    liveForChange: db.prepare(`SELECT ${columns} ${from}
      WHERE message.order_id = ? AND message.order_status = ? AND message.status_change_id IS ? AND message.state IN ('queued', 'sending', 'sent', 'delivered')
      ORDER BY message.id DESC LIMIT 1`),
    claimDue: db.prepare(`UPDATE messages SET state = 'sending', attempts = attempts + 1, updated_at = @at
      WHERE id IN (SELECT id FROM messages WHERE state = 'queued' AND next_attempt_at <= @at ORDER BY next_attempt_at, id LIMIT @limit)
      RETURNING id`).pluck(),
    nextDue: db.prepare("SELECT min(next_attempt_at) FROM messages WHERE state = 'queued'").pluck(),
    recover: db.prepare(`UPDATE messages SET state = 'queued', next_attempt_at = @at, updated_at = @at WHERE state = 'sending'`),
    markSent: db.prepare(`UPDATE messages SET state = 'sent', provider_message_id = @providerMessageId,
      next_attempt_at = NULL, error_code = NULL, error_description = NULL, updated_at = @at WHERE id = @id AND state = 'sending'`),
    markNotSent: db.prepare(`UPDATE messages SET state = 'not-sent', next_attempt_at = NULL,
      error_description = 'No MessageBird API key is configured', updated_at = @at WHERE id = @id AND state = 'sending'`),
    markFailed: db.prepare(`UPDATE messages SET state = 'failed', next_attempt_at = NULL, error_code = @errorCode,
      error_description = @errorDescription, updated_at = @at WHERE id = @id AND state = 'sending'`),
    reschedule: db.prepare(`UPDATE messages SET state = 'queued', next_attempt_at = @nextAttemptAt, error_code = @errorCode,
      error_description = @errorDescription, updated_at = @at WHERE id = @id AND state = 'sending'`),
    applyReport: db.prepare(`UPDATE messages SET state = @state, provider_status = @status, provider_status_at = @statusAt,
      provider_message_id = coalesce(provider_message_id, @providerMessageId),
      error_code = coalesce(@errorCode, error_code), error_description = coalesce(@reason, error_description),
      next_attempt_at = NULL, updated_at = @at WHERE id = @id`),
  };

  const findById = (id: number) => statements.findById.get(id) as Message | undefined;
  const at = () => now().toISOString();

  return {
    findById,
    forOrder: (orderId: string) => statements.forOrder.all(orderId) as Message[],
    /** The newest message of every order, in one query, keyed by order id. */
    latestPerOrder(): Map<string, Message> {
      return new Map((statements.latestPerOrder.all() as Message[]).map((message) => [message.orderId, message]));
    },
    /**
     * Queues a message for the status change that put the order into `orderStatus`, unless one for
     * that same change is already queued, sent or delivered (unless resending): a later change back
     * to the same status is a new change and gets its own text. Check and insert share one immediate
     * transaction, so a double click or two processes cannot both queue one.
     */
    queue(message: NewMessage, options: { resend: boolean }): QueueResult {
      const run = db.transaction((): QueueResult => {
        const statusChangeId = (statements.statusChangeFor.get(message.orderId, message.orderStatus) as number | null) ?? null;
        const existing = options.resend ? undefined : (statements.liveForChange.get(message.orderId, message.orderStatus, statusChangeId) as Message | undefined);
        if (existing) return { outcome: 'already-sent', message: existing };
        const result = statements.insert.run({ ...message, statusChangeId, at: at() });
        return { outcome: 'queued', message: findById(Number(result.lastInsertRowid))! };
      });
      return run.immediate();
    },

    /** Moves up to `limit` due messages to 'sending', counting the attempt, and returns them. */
    claimDue(limit: number): Message[] {
      const ids = statements.claimDue.all({ at: at(), limit }) as number[];
      return ids.map((id) => findById(id)!);
    },
    nextDueAt: () => statements.nextDue.get() as string | null,
    /** Messages left in 'sending' by a crash go back to the queue: at most one duplicate, never a loss. */
    recoverInterrupted: () => statements.recover.run({ at: at() }).changes,

    markSent: (id: number, providerMessageId: string | undefined) => statements.markSent.run({ id, providerMessageId: providerMessageId ?? null, at: at() }),
    markNotSent: (id: number) => statements.markNotSent.run({ id, at: at() }),
    markFailed: (id: number, error: { code: number | undefined; reasons: string[] }) =>
      statements.markFailed.run({ id, errorCode: error.code ?? null, errorDescription: error.reasons.join('\n'), at: at() }),
    reschedule: (id: number, nextAttemptAt: Date, error: { code: number | undefined; reasons: string[] }) =>
      statements.reschedule.run({ id, nextAttemptAt: nextAttemptAt.toISOString(), errorCode: error.code ?? null, errorDescription: error.reasons.join('\n'), at: at() }),

    /**
     * Applies a delivery report if it moves the message forward. A late 'sent' never overwrites
     * 'delivered'. Returns what happened, for the log.
     */
    applyReport: db.transaction((report: DeliveryReport): 'updated' | 'stale' | 'unknown-message' | 'unknown-status' => {
      const message = (report.reference && (statements.findByReference.get(report.reference) as Message | undefined))
        || (report.providerMessageId && (statements.findByProviderId.get(report.providerMessageId) as Message | undefined))
        || undefined;
      if (!message) return 'unknown-message';
      const state = reportedStates[report.status];
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
    }),
  };
}
