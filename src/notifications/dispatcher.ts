import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Claim, Message, MessageRepository, Problem } from './message-repository.ts';
import type { LookupOutcome, SendOutcome, SmsSender } from './sms-sender.ts';

export type DispatcherOptions = {
  concurrency: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Where MessageBird should send delivery reports; undefined when there is no public URL. */
  reportUrl: string | undefined;
  /** How long a claim on a message holds unless its owner renews it (every third of this). */
  leaseMs: number;
  /** After a send with an unknown outcome, how long MessageBird must have had to show the message before it is sent again. */
  checkGraceMs: number;
  /** How often to look for due messages queued by another process. */
  pollMs?: number;
  random?: () => number;
  /** This process's name on its claims; a fresh one by default. */
  instanceId?: string;
};

/**
 * Capped exponential backoff with full jitter: a random wait between 0 and
 * min(max, base × 2^(attempt − 1)). https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function retryDelayMs(attempt: number, options: { retryBaseMs: number; retryMaxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

/**
 * Sends queued messages from the outbox table with bounded concurrency, records each outcome, and
 * retries what MessageBird did not take. A send with an unknown outcome is looked up at MessageBird
 * ('checking') and sent again only when MessageBird has no record of it. The table is the source of
 * truth: every claim carries this process's id and a lease it renews, so a second process leaves
 * live claims alone and takes over those of a process that died.
 */
export function createDispatcher(deps: { messages: MessageRepository; sender: SmsSender; logger: Logger }, options: DispatcherOptions) {
  const { messages, sender, logger } = deps;
  const random = options.random ?? Math.random;
  const pollMs = options.pollMs ?? 1000;
  const claim: Claim = { owner: options.instanceId ?? randomUUID(), leaseMs: options.leaseMs };
  const attempts = new EventEmitter();
  attempts.setMaxListeners(0);
  const inFlight = new Set<Promise<void>>();
  /**
   * Messages claimed ahead of a free slot, at most one per slot. A claim must be on disk before its
   * text goes out (a claim lost in a power cut would send it again), so a slot that frees takes one
   * of these at once, and the next claim's flush happens while that send is under way. They are
   * 'sending' in the table under this process's renewed lease, like the sends in flight; each is
   * read again right before it goes out, and stop() puts them back in the queue.
   */
  const ready: Message[] = [];
  let timer: NodeJS.Timeout | undefined;
  let renewal: NodeJS.Timeout | undefined;
  let running = false;

  /**
   * Retries a database write until it sticks (SQLITE_BUSY, a full disk): what it records has already
   * happened at MessageBird, so it is never turned into a resend. After stop, it gives up; the
   * row's lease then runs out and the next owner looks the message up.
   */
  async function record(write: () => Promise<unknown>, log: Logger): Promise<void> {
    for (let tries = 1; ; tries += 1) {
      try {
        await write();
        return;
      } catch (error) {
        if (!running && tries >= 3) {
          log.error({ err: error }, 'could not record the outcome; it will be checked with MessageBird after the lease runs out');
          return;
        }
        log.error({ err: error, tries }, 'could not record the outcome; writing it again');
        await sleep(Math.min(5000, 50 * 2 ** tries));
      }
    }
  }

  async function retryOrFail(message: Message, problem: Problem, delayMs: number): Promise<void> {
    if (message.attempts < options.maxAttempts) await messages.reschedule(message.id, claim.owner, new Date(Date.now() + delayMs), problem);
    else await messages.markFailed(message.id, claim.owner, problem);
  }

  async function send(message: Message): Promise<void> {
    const log = logger.child({ messageId: message.id, reference: message.reference, attempt: message.attempts });
    const before = await messages.beforeSend(message.id, claim.owner).catch((error: unknown) => {
      log.error({ err: error }, 'could not read the message before sending it; putting it back in the queue');
      return { verdict: 'unreadable' } as const;
    });
    switch (before.verdict) {
      case 'unreadable':
        return record(() => messages.unclaim(message.id, claim.owner), log);
      case 'not-ours':
        log.warn('the claim on the message ran out before it was sent; it is left to whoever holds it now');
        return;
      case 'cancel':
        // The customer opted out, or the order moved on (or was cancelled) or its number was
        // corrected, after the message was queued: while it was being sent, or the queued one
        // would have been cancelled by the change itself.
        log.info({ reason: before.reason }, 'the message must not go any more: not sent');
        return record(() => messages.cancelClaimed(message.id, claim.owner, before.reason), log);
      case 'send':
        break;
    }
    // A sender that throws broke its promise; what happened at MessageBird is then unknown.
    const outcome = await sender.send({ recipient: message.recipient, body: message.body, reference: message.reference, reportUrl: options.reportUrl })
      .catch((error: unknown): SendOutcome => {
        log.error({ err: error }, 'the SMS sender failed unexpectedly');
        return { kind: 'unknown', statusCode: undefined, code: undefined, reasons: ['Unexpected error while sending'] };
      });
    const delay = retryDelayMs(message.attempts, options, random);
    switch (outcome.kind) {
      case 'accepted':
        log.info({ providerMessageId: outcome.providerMessageId }, 'SMS handed to MessageBird');
        return record(() => messages.markSent(message.id, outcome.providerMessageId), log);
      case 'logged':
        return record(() => messages.markNotSent(message.id, claim.owner), log);
      case 'refused':
        log.warn({ statusCode: outcome.statusCode, reasons: outcome.reasons }, 'SMS refused by MessageBird');
        return record(() => messages.markFailed(message.id, claim.owner, outcome), log);
      case 'unknown':
        log.warn({ statusCode: outcome.statusCode, reasons: outcome.reasons }, 'no clear answer from MessageBird; checking with it before sending again');
        return record(() => messages.markChecking(message.id, claim.owner, outcome), log);
      case 'not-sent':
      case 'try-later':
        log.warn({ statusCode: outcome.statusCode, reasons: outcome.reasons, retryInMs: delay, lastAttempt: message.attempts >= options.maxAttempts }, 'SMS not taken by MessageBird');
        return record(() => retryOrFail(message, outcome, delay), log);
    }
  }

  async function check(message: Message): Promise<void> {
    const log = logger.child({ messageId: message.id, reference: message.reference, attempt: message.attempts });
    const since = new Date(message.lastAttemptAt ?? message.updatedAt);
    const found = await sender.lookup({ reference: message.reference, recipient: message.recipient, providerMessageId: message.providerMessageId ?? undefined, since })
      .catch((error: unknown): LookupOutcome => ({ kind: 'unavailable', reason: String(error) }));
    const graceEnds = since.getTime() + options.checkGraceMs;
    if (found.kind === 'found') {
      log.info({ providerMessageId: found.providerMessageId }, 'MessageBird has the message: recorded as sent');
      return record(() => messages.markSent(message.id, found.providerMessageId), log);
    }
    if (found.kind === 'unavailable' || Date.now() < graceEnds) {
      const next = found.kind === 'unavailable' ? Date.now() + Math.max(pollMs, retryDelayMs(1, options, random)) : graceEnds;
      if (found.kind === 'unavailable') log.warn({ reason: found.reason }, 'could not check with MessageBird; asking again later');
      return record(() => messages.checkAgainAt(message.id, claim.owner, new Date(next)), log);
    }
    log.warn('MessageBird has no record of the message: sending it again');
    return record(() => retryOrFail(message, { code: undefined, reasons: ['MessageBird has no record of the message'] }, 0), log);
  }

  function track(message: Message, work: Promise<void>): void {
    const task = work
      .catch((error: unknown) => logger.error({ err: error, messageId: message.id }, 'unexpected error in the dispatcher'))
      .finally(() => {
        inFlight.delete(task);
        attempts.emit(String(message.id));
        sendReady();
        pump();
      });
    inFlight.add(task);
  }

  /** Starts messages claimed ahead in the slots that are free. */
  function sendReady(): void {
    while (running && ready.length > 0 && inFlight.size < options.concurrency) {
      const message = ready.shift()!;
      track(message, send(message));
    }
  }

  const freeSlots = () => Math.max(0, options.concurrency - inFlight.size);

  // One look at the outbox at a time; a kick that comes meanwhile asks for one more right after.
  let pumping: Promise<void> | undefined;
  let again = false;

  function pump(): void {
    if (!running) return;
    if (pumping) {
      again = true;
      return;
    }
    clearTimeout(timer);
    timer = undefined;
    pumping = lookAtOutbox().then((wait) => {
      pumping = undefined;
      if (!running) return;
      if (again) {
        again = false;
        pump();
      } else if (wait !== undefined) {
        timer = setTimeout(pump, wait);
        timer.unref();
      }
    }, (error: unknown) => {
      pumping = undefined;
      logger.error({ err: error }, 'unexpected error in the dispatcher');
    });
  }

  /** Claims what is due and starts it; returns how long to wait before the next look (undefined: until a send ends). */
  async function lookAtOutbox(): Promise<number | undefined> {
    let wait = pollMs;
    try {
      const expired = await messages.expireLeases();
      if (expired > 0) logger.warn({ expired }, 'found sends whose process stopped; checking them with MessageBird before any resend');
      const cancelled = await messages.cancelOptedOut();
      if (cancelled > 0) logger.info({ cancelled }, 'cancelled queued messages to customers who opted out');
      // Look-ups first: a message with an unknown outcome is settled before anything is sent again.
      const checks = await messages.claimChecks(freeSlots(), claim);
      for (const message of checks) track(message, check(message));
      // Enough for the free slots and one ahead for each slot.
      const due = await messages.claimDue(freeSlots() + options.concurrency - ready.length, claim);
      ready.push(...due);
      sendReady();
      if (inFlight.size >= options.concurrency) return undefined;
      const nextDue = await messages.nextDueAt();
      if (nextDue) wait = Math.max(0, Math.min(pollMs, Date.parse(nextDue) - Date.now()));
    } catch (error) {
      logger.error({ err: error }, 'could not read the outbox; trying again shortly');
    }
    return wait;
  }

  function renewLeases(): void {
    messages.renewLeases(claim).catch((error: unknown) => {
      logger.error({ err: error }, 'could not renew the leases on messages in flight');
    });
  }

  return {
    instanceId: claim.owner,
    /** Starts sending; sends a stopped process left behind are checked with MessageBird first. */
    start(): void {
      running = true;
      renewal = setInterval(renewLeases, Math.max(10, Math.floor(options.leaseMs / 3)));
      renewal.unref();
      pump();
    },
    /** Looks for due messages now, e.g. right after one was queued. */
    kick(): void {
      pump();
    },
    /** Resolves when an attempt at the message finishes, or after `timeoutMs`, whichever is first. */
    waitForAttempt(messageId: number, timeoutMs: number): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timeout);
          attempts.off(String(messageId), done);
          resolve();
        };
        const timeout = setTimeout(done, timeoutMs);
        attempts.on(String(messageId), done);
      });
    },
    /**
     * Stops taking new work and waits, at most `timeoutMs`, for the sends in flight. What is still
     * unfinished is handed over as 'checking', so the next start looks it up at once.
     */
    async stop(timeoutMs: number): Promise<number> {
      running = false;
      clearTimeout(timer);
      // A look at the outbox under way finishes first: what it claims is in flight below, or ready.
      await pumping;
      // Claimed ahead and never sent: back in the queue, for this process's next start or another's.
      for (const message of ready.splice(0)) {
        await messages.unclaim(message.id, claim.owner).catch((error: unknown) => {
          logger.error({ err: error, messageId: message.id }, 'could not put an unsent message back in the queue; it will be looked up once its lease runs out');
        });
      }
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => { bound = setTimeout(resolve, timeoutMs); }),
      ]);
      clearTimeout(bound);
      clearInterval(renewal);
      try {
        await messages.releaseClaims(claim.owner);
      } catch (error) {
        logger.error({ err: error }, 'could not hand over the messages in flight; their leases will run out');
      }
      return inFlight.size;
    },
  };
}
