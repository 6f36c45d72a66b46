import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import type { MessageState } from '../../src/notifications/message-states.ts';

export type SeedMessage = {
  orderId: string;
  state: MessageState;
  requestedAt: string;
  /** MessageBird's delivery-report time. */
  providerStatusAt?: string;
  lastAttemptAt?: string;
  errorCode?: number;
  errorDescription?: string;
  body?: string;
  recipient?: string;
  orderStatus?: string;
  attempts?: number;
};

/** Writes messages as they would stand after their history, straight into the log. */
export async function seedMessages(db: Database, messages: readonly SeedMessage[]): Promise<void> {
  const insert = `INSERT INTO messages (order_id, order_status, body, recipient, reference, state, attempts, error_code,
      error_description, requested_at, updated_at, provider_status, provider_status_at, last_attempt_at)
    VALUES (@orderId, @orderStatus, @body, @recipient, @reference, @state, @attempts, @errorCode, @errorDescription, @requestedAt,
      @requestedAt, @providerStatus, @providerStatusAt, @lastAttemptAt)`;
  await db.transaction(async () => {
    for (const message of messages) {
      await db.run(insert, {
        orderStatus: 'confirmed', body: 'Your order is confirmed.', recipient: '+31612345678', attempts: 1,
        errorCode: null, errorDescription: null, providerStatusAt: null, lastAttemptAt: null,
        ...message,
        providerStatus: message.providerStatusAt ? message.state : null,
        reference: randomUUID(),
      });
    }
  });
}
