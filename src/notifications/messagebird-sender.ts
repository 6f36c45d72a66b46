import { initClient } from 'messagebird';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { LookupOutcome, LookupQuery, ProviderError, SendOutcome, SmsMessage, SmsSender } from './sms-sender.ts';

export type MessageBirdSenderOptions = {
  apiKey: string;
  originator: string;
  timeoutMs: number;
};

/** What the SDK (4.0.1) hands its callback as the error. */
type SdkError = Error & {
  /** Set when MessageBird answered: with `errors` for its error body, or for a body that is not JSON. */
  statusCode?: number;
  errors?: Array<{ code?: unknown; description?: unknown; parameter?: unknown }>;
  /** The socket or parse error, when there was no usable answer. */
  error?: NodeJS.ErrnoException;
};

type SdkCall = (callback: (error: SdkError | null, data: unknown) => void) => void;

/** How one SDK call ended, with what the SDK does not pass on: the status and whether it timed out. */
type Answer = { error: SdkError | null; data: unknown; statusCode: number | undefined; timedOut: boolean };

type ApiMessage = { id?: unknown; reference?: unknown; createdDatetime?: unknown; recipients?: { items?: Array<{ recipient?: unknown }> } };

// The request never reached MessageBird: nothing can have been sent.
const notSentCodes = new Map([
  ['ECONNREFUSED', 'MessageBird refused the connection'],
  ['ENOTFOUND', 'MessageBird could not be found: is this machine online?'],
  ['EAI_AGAIN', 'MessageBird could not be found: is this machine online?'],
  ['ENETUNREACH', 'The network to MessageBird is unreachable'],
  ['EHOSTUNREACH', 'The network to MessageBird is unreachable'],
]);

// OpenSSL's certificate errors (https://nodejs.org/api/tls.html#x509-certificate-error-codes) and
// Node's TLS and SSL errors: the handshake failed, so the request was never written.
const tlsFailure = /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$)/;

// Look-ups page through the newest messages; MessageBird's list cannot filter by recipient or time.
const pageSize = 100;
const maxPages = 20;
/** Allowance for the difference between our clock and MessageBird's. */
const clockSkewMs = 60_000;

/**
 * The SDK creates its request inside each call and never returns it. Node announces every client
 * request synchronously as it is created, so a call made while `capture` is set is its request.
 */
let capture: ((request: ClientRequest) => void) | undefined;
subscribe('http.client.request.created', (event) => capture?.((event as { request: ClientRequest }).request));

/**
 * Sends SMS and looks them up through the official MessageBird SDK (v4), which only has callbacks
 * and always talks to rest.messagebird.com (https://developers.messagebird.com/api/sms-messaging/).
 */
export function createMessageBirdSender(options: MessageBirdSenderOptions): SmsSender {
  // The SDK aborts a request whose socket stays idle this long, connecting included.
  const client = initClient(options.apiKey, options.timeoutMs);
  const timeoutReason = `MessageBird did not answer within ${options.timeoutMs / 1000} seconds`;

  /**
   * One SDK call. We give up only when the SDK has called back, and it calls back only once the
   * request has ended or been destroyed, so nothing can be written after we gave up. The SDK's
   * timeout is for idleness; the deadline bounds a slow trickle too, by destroying the request.
   */
  function call(start: SdkCall): Promise<Answer> {
    return new Promise((resolve) => {
      let request: ClientRequest | undefined;
      let statusCode: number | undefined;
      let deadlinePassed = false;
      let releaseSocket = () => {};
      const deadline = setTimeout(() => {
        deadlinePassed = true;
        request?.destroy();
      }, options.timeoutMs);
      capture = (created) => {
        request = created;
        created.once('response', (response) => { statusCode = response.statusCode; });
        // Ours is the request's first 'socket' listener, so the SDK's timeout listener comes after it.
        created.once('socket', (socket: Socket) => { releaseSocket = keepSocketClean(socket); });
      };
      try {
        start((error, data) => {
          clearTimeout(deadline);
          releaseSocket();
          // The SDK calls abort() when the socket timed out; a reset leaves `aborted` false.
          resolve({ error, data, statusCode, timedOut: deadlinePassed || request?.aborted === true });
        });
      } finally {
        capture = undefined;
      }
    });
  }

  return {
    async send(message: SmsMessage): Promise<SendOutcome> {
      // The SDK mutates the params it is given, so each call builds a fresh object.
      const params: Record<string, unknown> = {
        originator: options.originator,
        recipients: [message.recipient],
        body: message.body,
        reference: message.reference,
      };
      if (message.reportUrl) params.reportUrl = message.reportUrl;
      const answer = await call((callback) => client.messages.create(params as never, callback as never));
      return classify(answer, timeoutReason);
    },

    async lookup(query: LookupQuery): Promise<LookupOutcome> {
      if (query.providerMessageId) {
        const answer = await call((callback) => client.messages.read(encodeURIComponent(query.providerMessageId!), callback as never));
        if (answer.statusCode === 200 && !answer.error && (answer.data as ApiMessage | null)?.reference === query.reference) {
          return { kind: 'found', providerMessageId: query.providerMessageId };
        }
        // A 404 (or another message under that id) leaves the list to decide; anything else is no answer.
        if (answer.error && answer.statusCode !== 404) return { kind: 'unavailable', reason: lookupFailure(answer, timeoutReason) };
      }
      // Newest first: once a page reaches messages older than the send, ours cannot come later. Our
      // reference is unique, so a match is our message; the recipient is checked as well.
      const windowStart = query.since.getTime() - clockSkewMs;
      const recipient = query.recipient.replace(/^\+/, '');
      let offset = 0;
      for (let page = 0; page < maxPages; page += 1) {
        const listOffset = offset;
        // The SDK's types ask for a status filter, which the SDK itself treats as optional.
        const answer = await call((callback) => client.messages.list({ limit: pageSize, offset: listOffset } as never, callback as never));
        if (answer.error) return { kind: 'unavailable', reason: lookupFailure(answer, timeoutReason) };
        if (answer.statusCode !== 200) return { kind: 'unavailable', reason: `MessageBird answered HTTP ${answer.statusCode} to a look-up` };
        const list = answer.data as { items?: unknown; totalCount?: unknown } | null;
        if (!Array.isArray(list?.items) || typeof list.totalCount !== 'number') {
          return { kind: 'unavailable', reason: 'MessageBird answered a look-up without a list of messages' };
        }
        const items = list.items as Array<ApiMessage | null>;
        const match = items.find((item) => item?.reference === query.reference && typeof item.id === 'string'
          && (item.recipients?.items ?? []).some((to) => String(to?.recipient) === recipient));
        if (match) return { kind: 'found', providerMessageId: match.id as string };
        offset += items.length;
        const oldest = Date.parse(String(items.at(-1)?.createdDatetime));
        if (items.length === 0 || offset >= list.totalCount || oldest < windowStart) return { kind: 'not-found' };
      }
      return { kind: 'unavailable', reason: `More than ${maxPages * pageSize} messages were sent since; too many to look through` };
    },
  };
}

/** Sorts what the SDK called back with into an outcome, by the HTTP status first where there is one. */
function classify({ error, data, statusCode, timedOut }: Answer, timeoutReason: string): SendOutcome {
  if (!error) {
    const id = (data as ApiMessage | null)?.id;
    // The SDK hands a JSON body without `errors` over as data whatever the status, a 5xx included.
    if (statusCode !== undefined && statusCode >= 200 && statusCode < 300 && typeof id === 'string' && id !== '') {
      return { kind: 'accepted', providerMessageId: id };
    }
    const reason = statusCode !== undefined && statusCode >= 500
      ? `MessageBird answered HTTP ${statusCode} without saying what happened`
      : `MessageBird answered HTTP ${statusCode ?? '(unknown)'} without a message id`;
    return { kind: 'unknown', statusCode, code: undefined, reasons: [reason] };
  }
  if (error.statusCode === undefined) return requestFailure(error, timedOut, timeoutReason);
  // An answer came: its error body, or a body that was not JSON ("response failed").
  const errors = providerErrors(error.errors);
  const status = error.statusCode;
  const problem = {
    statusCode: status,
    code: errors[0]?.code,
    reasons: errors.length > 0 ? errors.map((item) => item.description) : [`MessageBird answered HTTP ${status}`],
  };
  if (status === 429) return { kind: 'try-later', ...problem };
  if (status >= 500) {
    // Only MessageBird's own error body says it did not take the message; a bare 5xx (a proxy, a
    // crash half-way) may come after it did.
    if (errors.length > 0) return { kind: 'try-later', ...problem };
    return { kind: 'unknown', ...problem, reasons: [`MessageBird answered HTTP ${status} without saying what happened`] };
  }
  if (status >= 400) return { kind: 'refused', ...problem };
  return { kind: 'unknown', ...problem, reasons: [`MessageBird answered HTTP ${status} without a message id`] };
}

function providerErrors(errors: SdkError['errors']): ProviderError[] {
  if (!Array.isArray(errors)) return [];
  return errors.map((item) => ({
    code: typeof item?.code === 'number' ? item.code : undefined,
    description: typeof item?.description === 'string' ? item.description : 'Unknown error',
    parameter: typeof item?.parameter === 'string' ? item.parameter : undefined,
  }));
}

/** No HTTP answer: either the request never left, or nobody can say what happened to it. */
function requestFailure(error: SdkError, timedOut: boolean, timeoutReason: string): Extract<SendOutcome, { kind: 'not-sent' | 'unknown' }> {
  const problem = { statusCode: undefined, code: undefined };
  if (timedOut) return { kind: 'unknown', ...problem, reasons: [timeoutReason] };
  const code = error.error?.code;
  const notSent = code ? notSentCodes.get(code) : undefined;
  if (notSent) return { kind: 'not-sent', ...problem, reasons: [notSent] };
  if (code && tlsFailure.test(code)) {
    return { kind: 'not-sent', ...problem, reasons: [`The secure connection to MessageBird failed (${code})`] };
  }
  // A reset, or the answer cut off half-way ("request closed"): the request may have arrived.
  if (code === 'ECONNRESET' || code === 'EPIPE' || error.message === 'request closed') {
    return { kind: 'unknown', ...problem, reasons: ['The connection to MessageBird was cut off before it answered'] };
  }
  return { kind: 'unknown', ...problem, reasons: [`Lost contact with MessageBird (${error.error?.message ?? error.message})`] };
}

function lookupFailure(answer: Answer, timeoutReason: string): string {
  const outcome = classify(answer, timeoutReason);
  return outcome.kind === 'accepted' || outcome.kind === 'logged' ? 'MessageBird gave no usable answer to a look-up' : outcome.reasons.join('; ');
}

/**
 * The SDK adds a 'timeout' listener to the socket of every request and never removes it. Node's
 * HTTPS agent keeps sockets alive between requests (its default since Node 19), which saves a TCP
 * and TLS handshake on every SMS; but a reused socket would collect one listener per message: a
 * MaxListenersExceededWarning after ten, and a leak under steady sending. Returns what removes the
 * listeners added since: the SDK calls back in the response's 'end' handlers, before Node hands the
 * socket back to the agent (on the next tick), so they can only be this request's.
 */
function keepSocketClean(socket: Socket): () => void {
  const before = new Set(socket.listeners('timeout'));
  return () => {
    for (const listener of socket.listeners('timeout')) {
      if (!before.has(listener)) socket.removeListener('timeout', listener as () => void);
    }
  };
}
