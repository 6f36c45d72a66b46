import type { Db } from '../db/database.ts';

export const messageStates = ['queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'not-sent'] as const;
export type MessageState = (typeof messageStates)[number];

export type Message = {
  id: number;
  orderId: string;
  orderStatus: string;
  body: string;
  recipient: string;
  reference: string;
  state: MessageState;
  attempts: number;
  nextAttemptAt: string | null;
  providerMessageId: string | null;
  errorCode: number | null;
  errorDescription: string | null;
  /** Username of the account that asked for the message. */
  requestedBy: string | null;
  requestedAt: string;
  updatedAt: string;
};

export type NewMessage = Pick<Message, 'orderId' | 'orderStatus' | 'body' | 'recipient' | 'reference' | 'state'> & {
  requestedBy: number | null;
};

const columns = `message.id, message.order_id AS orderId, message.order_status AS orderStatus, message.body,
  message.recipient, message.reference, message.state, message.attempts, message.next_attempt_at AS nextAttemptAt,
  message.provider_message_id AS providerMessageId, message.error_code AS errorCode,
  message.error_description AS errorDescription, staff.username AS requestedBy,
  message.requested_at AS requestedAt, message.updated_at AS updatedAt`;
const from = 'FROM messages AS message LEFT JOIN staff ON staff.id = message.requested_by';

export type MessageRepository = ReturnType<typeof createMessageRepository>;

export function createMessageRepository(db: Db, now: () => Date = () => new Date()) {
  const statements = {
    insert: db.prepare(`INSERT INTO messages (order_id, order_status, body, recipient, reference, state, attempts, requested_by, requested_at, updated_at)
      VALUES (@orderId, @orderStatus, @body, @recipient, @reference, @state, @attempts, @requestedBy, @at, @at)`),
    findById: db.prepare(`SELECT ${columns} ${from} WHERE message.id = ?`),
    forOrder: db.prepare(`SELECT ${columns} ${from} WHERE message.order_id = ? ORDER BY message.id DESC`),
    latestPerOrder: db.prepare(`SELECT ${columns} ${from}
      WHERE message.id IN (SELECT max(id) FROM messages GROUP BY order_id)`),
    finish: db.prepare(`UPDATE messages SET state = @state, provider_message_id = coalesce(@providerMessageId, provider_message_id),
      error_code = @errorCode, error_description = @errorDescription, updated_at = @at WHERE id = @id`),
  };

  return {
    /** Records a message about to be sent (state "sending", first attempt). */
    create(message: NewMessage): Message {
      const result = statements.insert.run({ ...message, attempts: message.state === 'sending' ? 1 : 0, at: now().toISOString() });
      return statements.findById.get(result.lastInsertRowid) as Message;
    },
    finish(id: number, outcome: { state: MessageState; providerMessageId?: string; errorCode?: number; errorDescription?: string }) {
      statements.finish.run({
        id,
        state: outcome.state,
        providerMessageId: outcome.providerMessageId ?? null,
        errorCode: outcome.errorCode ?? null,
        errorDescription: outcome.errorDescription ?? null,
        at: now().toISOString(),
      });
    },
    findById: (id: number) => statements.findById.get(id) as Message | undefined,
    forOrder: (orderId: string) => statements.forOrder.all(orderId) as Message[],
    /** The newest message of every order, in one query, keyed by order id. */
    latestPerOrder(): Map<string, Message> {
      return new Map((statements.latestPerOrder.all() as Message[]).map((message) => [message.orderId, message]));
    },
  };
}
