import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AttemptOutcome, ClaimedDelivery, WebhookRepository } from './webhook-repository.ts';

/**
 * The waits before each retry after the first attempt (8 attempts over about 28 hours), as the
 * Standard Webhooks specification suggests: a shop's server that is down for a deploy, or for the
 * night, still gets every event.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#deliverability-and-reliability
 */
export const retryWaitsMs = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000];

/** How long a shop's server has to answer an attempt, unless the options say otherwise. */
export const webhookTimeoutMs = 10_000;

export type WebhookSenderOptions = {
  /** How long the shop's server has to answer an attempt. */
  timeoutMs?: number;
  /** Attempts in flight at once. */
  concurrency?: number;
  /** How often to look for due events written by another process (or this one). */
  pollMs?: number;
  retryWaitsMs?: readonly number[];
  instanceId?: string;
  fetch?: typeof fetch;
  /** How long a finished delivery stays listed before the hourly sweep deletes it. */
  keepMs?: number;
};

/** Finished deliveries are kept 30 days: the page lists the latest, the shop has long had them. */
export const keepDeliveriesMs = 30 * 24 * 3_600_000;

/**
 * The headers of the Standard Webhooks signature: `webhook-signature` is "v1," and the base64
 * HMAC-SHA256 of "id.timestamp.body" under the secret's bytes (the part after "whsec_", base64).
 * A shop verifies it with the specification's libraries (the tests do, with the JavaScript one).
 */
export function signedHeaders(secret: string, eventId: string, body: string, at: Date): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${eventId}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': eventId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;

/**
 * Posts the shops' events from the outbox (webhook_deliveries). Each attempt is claimed first, so
 * two processes on one database never send the same event at the same time; a process that dies
 * mid-send leaves its claim to run out, and the event goes out again under the same id. A shop's
 * server that answers 2xx has it; anything else (another status, no answer in time, no connection)
 * is retried on retryWaitsMs, and after the last attempt the delivery is marked failed, for an
 * admin to send again from the API keys page.
 */
export function createWebhookSender(deps: { deliveries: WebhookRepository; logger: Logger }, options: WebhookSenderOptions = {}) {
  const { deliveries, logger } = deps;
  const timeoutMs = options.timeoutMs ?? webhookTimeoutMs;
  const concurrency = options.concurrency ?? 4;
  const pollMs = options.pollMs ?? 1000;
  const waits = options.retryWaitsMs ?? retryWaitsMs;
  const owner = options.instanceId ?? randomUUID();
  // The claim outlasts the attempt's time limit with room for writing its outcome.
  const leaseMs = timeoutMs + 30_000;
  const send = options.fetch ?? fetch;
  const inFlight = new Set<Promise<void>>();
  const aborts = new Set<AbortController>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let looking: Promise<void> | undefined;
  // A wake during a look, which may have read what is due before the change that woke it.
  let lookAgain = false;
  const keepMs = options.keepMs ?? keepDeliveriesMs;
  let lastSweep = 0;

  async function attempt(delivery: ClaimedDelivery): Promise<AttemptOutcome> {
    const abort = new AbortController();
    aborts.add(abort);
    const timeout = setTimeout(() => abort.abort(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    try {
      const response = await send(delivery.url!, {
        method: 'POST',
        // A redirect is not followed: the event goes only where the admin pointed it.
        redirect: 'manual',
        signal: abort.signal,
        headers: { 'content-type': 'application/json', 'user-agent': 'OrderDesk-Webhooks/1', ...signedHeaders(delivery.secret!, delivery.eventId, delivery.body, new Date()) },
        body: delivery.body,
      });
      // Only the status matters; the body is dropped unread so the connection is freed.
      await response.body?.cancel().catch(() => {});
      return { status: response.status, error: response.ok ? null : `answered HTTP ${response.status}` };
    } catch (error) {
      // Our own abort says why (the time limit, a stop); fetch's own error names the network's
      // reason in its cause ("fetch failed: ECONNREFUSED").
      const reason = (abort.signal.aborted ? abort.signal.reason : error) as Error & { cause?: { code?: string } };
      const code = reason.cause?.code;
      return { status: null, error: code ? `${reason.message}: ${code}` : reason.message };
    } finally {
      clearTimeout(timeout);
      aborts.delete(abort);
    }
  }

  async function deliver(id: number): Promise<void> {
    const log = logger.child({ deliveryId: id });
    const delivery = await deliveries.claimed(id, owner);
    if (!delivery) return;
    if (delivery.revoked || !delivery.url || !delivery.secret) {
      await deliveries.cancelClaimed(id, owner, delivery.revoked ? 'Not sent: the API key was revoked' : 'Not sent: status updates were turned off for this key');
      return;
    }
    const outcome = await attempt(delivery);
    if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) {
      await deliveries.delivered(id, owner, outcome);
      log.info({ eventId: delivery.eventId, apiKeyId: delivery.apiKeyId, attempts: delivery.attempts }, 'status update delivered to the shop');
      return;
    }
    // Cut short by stop(): due again at once, for the next process.
    if (!running && outcome.status === null) return void await deliveries.retry(id, owner, outcome, new Date());
    const wait = waits[delivery.attempts - 1];
    if (wait === undefined) {
      await deliveries.failed(id, owner, outcome);
      log.warn({ eventId: delivery.eventId, apiKeyId: delivery.apiKeyId, attempts: delivery.attempts, status: outcome.status, error: outcome.error }, 'status update to the shop failed; giving up');
      return;
    }
    await deliveries.retry(id, owner, outcome, new Date(Date.now() + wait));
    log.warn({ eventId: delivery.eventId, apiKeyId: delivery.apiKeyId, attempts: delivery.attempts, status: outcome.status, error: outcome.error, retryInMs: wait }, 'status update to the shop not taken; trying again later');
  }

  function track(work: Promise<void>): void {
    const done = work.catch((error: unknown) => logger.error({ err: error }, 'webhook delivery failed unexpectedly; its claim runs out and it is sent again'))
      .finally(() => {
        inFlight.delete(done);
        if (running) schedule(0);
      });
    inFlight.add(done);
  }

  /** Claims what is due (as many as there are free slots) and starts sending it. */
  async function look(): Promise<void> {
    // Once an hour, in the look itself (so never twice at once): the outbox does not grow forever.
    if (Date.now() - lastSweep >= 3_600_000) {
      lastSweep = Date.now();
      const swept = await deliveries.prune(new Date(lastSweep - keepMs));
      if (swept > 0) logger.info({ swept }, 'deleted finished status updates older than they are kept');
    }
    const free = concurrency - inFlight.size;
    if (!running || free <= 0) return;
    const next = await deliveries.nextDue();
    if (!next || Date.parse(next) > Date.now()) return;
    for (const id of await deliveries.claim(owner, free, leaseMs)) track(deliver(id));
  }

  /**
   * One look at a time, whoever asks (the timer, drain): two at once would each count the same free
   * slots and claim more than `concurrency` between them.
   */
  function lookNow(): Promise<void> {
    looking ??= look()
      .catch((error: unknown) => logger.error({ err: error }, 'could not look for status updates to send'))
      .finally(() => {
        looking = undefined;
        if (running) schedule(lookAgain ? 0 : pollMs);
        lookAgain = false;
      });
    return looking;
  }

  function schedule(delayMs: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => void lookNow(), delayMs);
  }

  return {
    instanceId: owner,
    start(): void {
      if (running) return;
      running = true;
      schedule(0);
    },
    /** Look now (after a change in this process) instead of at the next poll. */
    wake(): void {
      if (!running) return;
      if (looking) lookAgain = true;
      else schedule(0);
    },
    /** Sends what is due, and waits, until nothing is due or in flight (tests). */
    async drain(): Promise<void> {
      const wasRunning = running;
      running = true;
      try {
        for (;;) {
          await lookNow();
          if (inFlight.size === 0) return;
          await Promise.race(inFlight);
        }
      } finally {
        running = wasRunning;
        if (!wasRunning) clearTimeout(timer);
      }
    },
    /**
     * Takes no new work and cuts the attempts in flight short after `timeoutMs`; those are due
     * again at once for the next process (the shop may have had them: it drops a repeat by its id).
     */
    async stop(timeoutMs = 5_000): Promise<void> {
      running = false;
      clearTimeout(timer);
      await looking;
      const bound = setTimeout(() => {
        for (const abort of aborts) abort.abort(new Error('the server stopped before the shop answered'));
      }, timeoutMs);
      await Promise.allSettled([...inFlight]);
      clearTimeout(bound);
      await deliveries.release(owner).catch((error: unknown) => logger.error({ err: error }, 'could not hand back the status updates being sent'));
    },
  };
}
