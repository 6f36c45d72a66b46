import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Message, MessageRepository } from './message-repository.ts';
import { SmsSendError } from './sms-sender.ts';
import type { SmsSender } from './sms-sender.ts';

export type DispatcherOptions = {
  concurrency: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Where MessageBird should send delivery reports; undefined when there is no public URL. */
  reportUrl: string | undefined;
  /** How often to look for due messages queued by another process. */
  pollMs?: number;
  random?: () => number;
};

/**
 * Capped exponential backoff with full jitter: a random wait between 0 and
 * min(max, base × 2^(attempt − 1)). https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function retryDelayMs(attempt: number, options: { retryBaseMs: number; retryMaxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

const transientKinds = new Set(['network', 'timeout', 'provider-unavailable']);

export type Dispatcher = ReturnType<typeof createDispatcher>;

/**
 * Sends queued messages from the outbox table with bounded concurrency, records each outcome, and
 * retries transient failures. The table is the source of truth: nothing is held only in memory.
 */
export function createDispatcher(deps: { messages: MessageRepository; sender: SmsSender; logger: Logger }, options: DispatcherOptions) {
  const { messages, sender, logger } = deps;
  const random = options.random ?? Math.random;
  const pollMs = options.pollMs ?? 1000;
  const attempts = new EventEmitter();
  attempts.setMaxListeners(0);
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  async function attempt(message: Message): Promise<void> {
    const log = logger.child({ messageId: message.id, reference: message.reference, attempt: message.attempts });
    try {
      const result = await sender.send({ recipient: message.recipient, body: message.body, reference: message.reference, reportUrl: options.reportUrl });
      if (result.sent) messages.markSent(message.id, result.providerMessageId);
      else messages.markNotSent(message.id);
      log.info({ providerMessageId: result.providerMessageId, sent: result.sent }, 'SMS handed to the provider');
    } catch (error) {
      const failure = error instanceof SmsSendError ? error : undefined;
      const details = { code: failure?.providerErrors[0]?.code, reasons: failure ? failure.reasons : ['Unexpected error while sending'] };
      const transient = !failure || transientKinds.has(failure.kind);
      if (transient && message.attempts < options.maxAttempts) {
        const delay = retryDelayMs(message.attempts, options, random);
        messages.reschedule(message.id, new Date(Date.now() + delay), details);
        log.warn({ err: error, retryInMs: delay }, 'SMS not sent; will retry');
      } else {
        messages.markFailed(message.id, details);
        log.warn({ err: error, transient }, transient ? 'SMS failed after the last attempt' : 'SMS refused by the provider');
      }
    }
  }

  function pump(): void {
    if (!running) return;
    clearTimeout(timer);
    timer = undefined;
    const free = options.concurrency - inFlight.size;
    const due = free > 0 ? messages.claimDue(free) : [];
    for (const message of due) {
      const task = attempt(message).finally(() => {
        inFlight.delete(task);
        attempts.emit(String(message.id));
        pump();
      });
      inFlight.add(task);
    }
    if (inFlight.size >= options.concurrency) return;
    const nextDue = messages.nextDueAt();
    const wait = nextDue ? Math.max(0, Math.min(pollMs, Date.parse(nextDue) - Date.now())) : pollMs;
    timer = setTimeout(pump, wait);
    timer.unref();
  }

  return {
    /** Re-queues messages a crash left in 'sending', then starts sending. */
    start(): void {
      const recovered = messages.recoverInterrupted();
      if (recovered > 0) logger.warn({ recovered }, 'requeued messages that were being sent when the process stopped');
      running = true;
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
    /** Stops taking new work and waits, at most `timeoutMs`, for the sends in flight. */
    async stop(timeoutMs: number): Promise<number> {
      running = false;
      clearTimeout(timer);
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => { bound = setTimeout(resolve, timeoutMs); }),
      ]);
      clearTimeout(bound);
      return inFlight.size;
    },
  };
}
