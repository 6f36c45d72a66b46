import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { IntakeData, OrderCorrectedData, StatusChangedData } from './webhook-events.ts';

/**
 * Status updates to the shop (webhooks): the outbox of events for the shops' servers, and each API
 * key's address and signing secret. An event row is written in the transaction of the change it
 * reports; the sender (webhook-sender.ts) posts it, retries it, and records what the shop answered.
 */

export const webhookEventTypes = ['order.status_changed', 'order.corrected', 'intake.paused', 'intake.resumed', 'webhook.test'] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

export const deliveryStates = ['pending', 'sending', 'delivered', 'failed', 'cancelled'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

export const deliveryStateLabels: Record<DeliveryState, string> = {
  pending: 'Waiting',
  sending: 'Being sent',
  delivered: 'Delivered',
  failed: 'Gave up',
  cancelled: 'Not sent',
};

/** A delivery as the API keys page lists it. */
export type Delivery = {
  id: number;
  eventId: string;
  eventType: WebhookEventType;
  orderId: string | null;
  orderNumber: number | null;
  state: DeliveryState;
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  /** The event as sent (JSON). */
  body: string;
};

/** A claimed delivery with what sending it needs: the key's address and secret as they are now. */
export type ClaimedDelivery = {
  id: number;
  eventId: string;
  body: string;
  attempts: number;
  apiKeyId: number;
  url: string | null;
  secret: string | null;
  revoked: boolean;
};

/** The answer (or its absence) of one attempt: an HTTP status, or why there was none. */
export type AttemptOutcome = { status: number | null; error: string | null };

/**
 * A new signing secret in the Standard Webhooks form: "whsec_" and 32 random bytes in base64.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The event id, the webhook-id header: the same on every attempt, so the shop can drop a repeat. */
const newEventId = () => `evt_${randomUUID().replaceAll('-', '')}`;

const deliveryColumns = `delivery.id, delivery.event_id AS "eventId", delivery.event_type AS "eventType", delivery.order_id AS "orderId",
  orders.number AS "orderNumber", delivery.state, delivery.attempts, delivery.created_at AS "createdAt",
  delivery.last_attempt_at AS "lastAttemptAt", CASE WHEN delivery.state = 'pending' THEN delivery.next_attempt_at END AS "nextAttemptAt",
  delivery.delivered_at AS "deliveredAt", delivery.last_status AS "lastStatus", delivery.last_error AS "lastError", delivery.body`;

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;

export function createWebhookRepository(db: Database, now: () => Date = () => new Date()) {
  // As the messages' claims (message-repository.ts): one UPDATE; on PostgreSQL the pick locks its
  // rows and skips those another instance is claiming, and is run once (MATERIALIZED).
  const skipLocked = db.pick({ sqlite: '', postgres: 'FOR UPDATE SKIP LOCKED' });
  // A delivery being sent is due again when its claim runs out (next_attempt_at): the process
  // sending it died or froze, and the event goes out again under the same id.
  const due = `state IN ('pending', 'sending') AND next_attempt_at <= @at`;
  const sql = {
    // Only for an order a shop sent, with a key that has an address and is not revoked: otherwise
    // the SELECT finds no row and nothing is written.
    enqueueForOrder: `INSERT INTO webhook_deliveries (event_id, api_key_id, order_id, event_type, body, next_attempt_at, created_at)
      SELECT @eventId, key.id, orders.id, @eventType, @body, @at, @at FROM orders JOIN api_keys AS key ON key.id = orders.api_key_id
      WHERE orders.id = @orderId AND key.webhook_url IS NOT NULL AND key.revoked_at IS NULL`,
    enqueueForKey: `INSERT INTO webhook_deliveries (event_id, api_key_id, event_type, body, next_attempt_at, created_at)
      SELECT @eventId, id, @eventType, @body, @at, @at FROM api_keys WHERE id = @apiKeyId AND webhook_url IS NOT NULL AND revoked_at IS NULL`,
    keysWithAddress: 'SELECT id FROM api_keys WHERE webhook_url IS NOT NULL AND revoked_at IS NULL ORDER BY id',
    nextDue: `SELECT min(next_attempt_at) FROM webhook_deliveries WHERE state IN ('pending', 'sending')`,
    claim: `WITH picked AS MATERIALIZED (SELECT id FROM webhook_deliveries WHERE ${due} ORDER BY next_attempt_at, id LIMIT @limit ${skipLocked})
      UPDATE webhook_deliveries SET state = 'sending', attempts = attempts + 1, claimed_by = @owner, next_attempt_at = @leaseUntil, last_attempt_at = @at
      WHERE id IN (SELECT id FROM picked) AND ${due}
      RETURNING id`,
    claimed: `SELECT delivery.id, delivery.event_id AS "eventId", delivery.body, delivery.attempts, delivery.api_key_id AS "apiKeyId",
        key.webhook_url AS url, key.webhook_secret AS secret, CASE WHEN key.revoked_at IS NULL THEN 0 ELSE 1 END AS revoked
      FROM webhook_deliveries AS delivery JOIN api_keys AS key ON key.id = delivery.api_key_id
      WHERE delivery.id = @id AND delivery.state = 'sending' AND delivery.claimed_by = @owner`,
    // Each outcome is written only while this process still holds the claim: one that ran out and
    // was taken over is the new owner's to record.
    delivered: `UPDATE webhook_deliveries SET state = 'delivered', delivered_at = @at, next_attempt_at = NULL, claimed_by = NULL,
        last_status = @status, last_error = NULL
      WHERE id = @id AND state = 'sending' AND claimed_by = @owner`,
    retry: `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = @next, claimed_by = NULL, last_status = @status, last_error = @error
      WHERE id = @id AND state = 'sending' AND claimed_by = @owner`,
    failed: `UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL, claimed_by = NULL, last_status = @status, last_error = @error
      WHERE id = @id AND state = 'sending' AND claimed_by = @owner`,
    // A claim that never went out (the key lost its address, or was revoked): not an attempt.
    cancelClaimed: `UPDATE webhook_deliveries SET state = 'cancelled', attempts = attempts - 1, next_attempt_at = NULL, claimed_by = NULL,
        last_status = NULL, last_error = @error
      WHERE id = @id AND state = 'sending' AND claimed_by = @owner`,
    // At stop: what this process was sending is due again at once (for the next process).
    // (Only a row being sent has an owner; the state list is the due index's own condition.)
    release: `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = @at, claimed_by = NULL
      WHERE state IN ('pending', 'sending') AND claimed_by = @owner`,
    // Once the shop's server works again, an admin sends a delivery that gave up once more.
    sendAgain: `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = @at
      WHERE id = @id AND api_key_id = @apiKeyId AND state IN ('failed', 'cancelled')`,
    // Turned off or revoked: what still waits for this key is not sent.
    cancelWaiting: `UPDATE webhook_deliveries SET state = 'cancelled', next_attempt_at = NULL, last_error = @error
      WHERE api_key_id = @apiKeyId AND state = 'pending'`,
    setUrl: 'UPDATE api_keys SET webhook_url = @url, webhook_secret = coalesce(webhook_secret, @secret) WHERE id = @apiKeyId AND revoked_at IS NULL',
    clearUrl: 'UPDATE api_keys SET webhook_url = NULL WHERE id = @apiKeyId',
    setSecret: 'UPDATE api_keys SET webhook_secret = @secret WHERE id = @apiKeyId AND revoked_at IS NULL AND webhook_url IS NOT NULL',
    secretOf: 'SELECT webhook_secret FROM api_keys WHERE id = ?',
    latest: `SELECT ${deliveryColumns} FROM webhook_deliveries AS delivery LEFT JOIN orders ON orders.id = delivery.order_id
      WHERE delivery.api_key_id = @apiKeyId ORDER BY delivery.id DESC LIMIT @limit`,
    summary: `SELECT
        (SELECT count(*) FROM webhook_deliveries WHERE api_key_id = @apiKeyId AND state IN ('pending', 'sending')) AS waiting,
        (SELECT count(*) FROM webhook_deliveries WHERE api_key_id = @apiKeyId AND state = 'failed') AS failed,
        (SELECT max(delivered_at) FROM webhook_deliveries WHERE api_key_id = @apiKeyId AND state = 'delivered') AS "lastDeliveredAt"`,
    // In batches, so a first sweep of a long history never holds the write lock for long.
    prune: `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
      WHERE state IN ('delivered', 'failed', 'cancelled') AND created_at < @before LIMIT @limit)`,
    forOrder: `SELECT ${deliveryColumns} FROM webhook_deliveries AS delivery LEFT JOIN orders ON orders.id = delivery.order_id
      WHERE delivery.order_id = ? ORDER BY delivery.id`,
  };
  const eventBody = (type: WebhookEventType, at: string, data: unknown) => JSON.stringify({ type, timestamp: at, data });
  /** An event about an order, for the shop that sent it if its key has an address; whether one was written. */
  const enqueueForOrder = async (eventType: WebhookEventType, timestamp: string, data: { orderId: string }) => {
    const written = await db.run(sql.enqueueForOrder, { eventId: newEventId(), eventType, body: eventBody(eventType, timestamp, data), orderId: data.orderId, at: now().toISOString() });
    return written.changes > 0;
  };

  return {
    /**
     * Queues the event of an order's status change for the shop that sent the order, when its key
     * has an address (otherwise writes nothing). Call it inside the change's transaction.
     */
    statusChanged: (data: StatusChangedData) => enqueueForOrder('order.status_changed', data.changedAt, data),
    /** Queues a correction of a shop's order for that shop, as statusChanged does a status change. */
    orderCorrected: (data: OrderCorrectedData) => enqueueForOrder('order.corrected', data.correctedAt, data),
    /**
     * Queues the news of the online orders being paused or opened again for every key with an
     * address (a pause concerns every shop). Call it inside the pause's transaction.
     */
    async intakeChanged(data: IntakeData): Promise<number> {
      const eventType = data.open ? 'intake.resumed' : 'intake.paused';
      const body = eventBody(eventType, data.changedAt, data);
      const keys = await db.all<{ id: number }>(sql.keysWithAddress);
      for (const key of keys) await db.run(sql.enqueueForKey, { eventId: newEventId(), eventType, body, apiKeyId: key.id, at: now().toISOString() });
      return keys.length;
    },
    /** A test event for the key's address, from the API keys page; false when it has none. */
    async sendTest(apiKeyId: number, apiKeyName: string): Promise<boolean> {
      const at = now().toISOString();
      const body = eventBody('webhook.test', at, { apiKey: apiKeyName, message: 'A test of status updates from Order Desk. Answer with any 2xx status.' });
      return (await db.run(sql.enqueueForKey, { eventId: newEventId(), eventType: 'webhook.test', body, apiKeyId, at })).changes > 0;
    },
    /**
     * Sets the key's address. The first address gives it a signing secret, returned this once
     * (later changes of address keep the secret). Undefined for a revoked or unknown key.
     */
    setUrl: (apiKeyId: number, url: string) => db.transaction(async (): Promise<{ newSecret: string | undefined } | undefined> => {
      const candidate = newWebhookSecret();
      if ((await db.run(sql.setUrl, { apiKeyId, url, secret: candidate })).changes === 0) return undefined;
      return { newSecret: (await db.value<string>(sql.secretOf, [apiKeyId])) === candidate ? candidate : undefined };
    }),
    /** Turns the key's status updates off; events still waiting are cancelled. How many were. */
    turnOff: (apiKeyId: number) => db.transaction(async () => {
      await db.run(sql.clearUrl, { apiKeyId });
      return (await db.run(sql.cancelWaiting, { apiKeyId, error: 'Not sent: status updates were turned off for this key' })).changes;
    }),
    /** Cancels what still waits for a key that has just been revoked. */
    cancelForRevokedKey: async (apiKeyId: number) =>
      (await db.run(sql.cancelWaiting, { apiKeyId, error: 'Not sent: the API key was revoked' })).changes,
    /** A new signing secret for the key, returned this once; undefined when the key has no address. */
    async rotateSecret(apiKeyId: number): Promise<string | undefined> {
      const secret = newWebhookSecret();
      return (await db.run(sql.setSecret, { apiKeyId, secret })).changes === 1 ? secret : undefined;
    },
    sendAgain: async (apiKeyId: number, deliveryId: number) =>
      (await db.run(sql.sendAgain, { id: deliveryId, apiKeyId, at: now().toISOString() })).changes === 1,
    latest: (apiKeyId: number, limit = 10) => db.all<Delivery>(sql.latest, { apiKeyId, limit }),
    summary: async (apiKeyId: number) => (await db.get<{ waiting: number; failed: number; lastDeliveredAt: string | null }>(sql.summary, { apiKeyId }))!,
    forOrder: (orderId: string) => db.all<Delivery>(sql.forOrder, [orderId]),

    // The sender's side.
    nextDue: () => db.value<string | null>(sql.nextDue),
    /** Deletes finished deliveries (delivered, given up, not sent) made before `before`; how many. */
    async prune(before: Date, batch = 1000): Promise<number> {
      let deleted = 0;
      for (;;) {
        const { changes } = await db.run(sql.prune, { before: before.toISOString(), limit: batch });
        deleted += changes;
        if (changes < batch) return deleted;
      }
    },
    /** Claims up to `limit` due deliveries for `owner` until `leaseMs` from now; their ids. */
    async claim(owner: string, limit: number, leaseMs: number): Promise<number[]> {
      const at = now();
      const rows = await db.all<{ id: number }>(sql.claim, { at: at.toISOString(), leaseUntil: new Date(at.getTime() + leaseMs).toISOString(), owner, limit });
      return rows.map((row) => Number(row.id));
    },
    async claimed(id: number, owner: string): Promise<ClaimedDelivery | undefined> {
      const row = await db.get<ClaimedDelivery & { revoked: number | boolean }>(sql.claimed, { id, owner });
      return row && { ...row, id: Number(row.id), apiKeyId: Number(row.apiKeyId), revoked: Boolean(Number(row.revoked)) };
    },
    delivered: (id: number, owner: string, outcome: AttemptOutcome) =>
      db.run(sql.delivered, { id, owner, status: outcome.status, at: now().toISOString() }),
    retry: (id: number, owner: string, outcome: AttemptOutcome, next: Date) =>
      db.run(sql.retry, { id, owner, status: outcome.status, error: outcome.error, next: next.toISOString() }),
    failed: (id: number, owner: string, outcome: AttemptOutcome) =>
      db.run(sql.failed, { id, owner, status: outcome.status, error: outcome.error }),
    cancelClaimed: (id: number, owner: string, error: string) => db.run(sql.cancelClaimed, { id, owner, error }),
    release: (owner: string) => db.run(sql.release, { owner, at: now().toISOString() }),
  };
}
