import type { LookupOutcome, LookupQuery, ProviderError, SendOutcome, SmsMessage, SmsSender } from './sms-sender.ts';

export type MessageBirdSenderOptions = {
  apiKey: string;
  originator: string;
  timeoutMs: number;
};

const api = 'https://rest.messagebird.com';

// The request never reached MessageBird: nothing can have been sent.
const notSentCodes = new Map([
  ['ECONNREFUSED', 'MessageBird refused the connection'],
  ['ENOTFOUND', 'MessageBird could not be found: is this machine online?'],
  ['EAI_AGAIN', 'MessageBird could not be found: is this machine online?'],
  ['ENETUNREACH', 'The network to MessageBird is unreachable'],
  ['EHOSTUNREACH', 'The network to MessageBird is unreachable'],
  ['UND_ERR_CONNECT_TIMEOUT', 'Could not connect to MessageBird in time'],
]);

type ErrorBody = { errors?: Array<{ code?: unknown; description?: unknown; parameter?: unknown }> };
type ApiMessage = { id?: unknown; reference?: unknown };

/**
 * MessageBird's SMS API (https://developers.messagebird.com/api/sms-messaging/) over fetch. The
 * official SDK (4.0.1) is not used for this: it hides the HTTP status of a success, cannot abort a
 * request it started, and its messages.list passes on only status, limit and offset.
 */
export function createMessageBirdSender(options: MessageBirdSenderOptions): SmsSender {
  const headers = { authorization: `AccessKey ${options.apiKey}`, accept: 'application/json' };
  const timeoutReason = `MessageBird did not answer within ${options.timeoutMs / 1000} seconds`;

  /** One API call; the deadline aborts the request itself, so nothing lands after we gave up. */
  async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${api}${path}`, { ...init, headers: { ...headers, ...init.headers }, signal: AbortSignal.timeout(options.timeoutMs) });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  }

  return {
    async send(message: SmsMessage): Promise<SendOutcome> {
      const payload: Record<string, unknown> = {
        originator: options.originator,
        recipients: message.recipient,
        body: message.body,
        reference: message.reference,
      };
      if (message.reportUrl) payload.reportUrl = message.reportUrl;

      let answer: { status: number; body: unknown };
      try {
        answer = await call('/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      } catch (error) {
        return requestFailure(error, timeoutReason);
      }
      return classifyAnswer(answer.status, answer.body);
    },

    async lookup(query: LookupQuery): Promise<LookupOutcome> {
      try {
        if (query.providerMessageId) {
          const { status, body } = await call(`/messages/${encodeURIComponent(query.providerMessageId)}`);
          if (status === 200 && (body as ApiMessage)?.reference === query.reference) return { kind: 'found', providerMessageId: query.providerMessageId };
          if (status !== 404 && status !== 200) return { kind: 'unavailable', reason: `MessageBird answered HTTP ${status} to a look-up` };
        }
        // The message list filtered to this recipient around the time of the send; our reference is
        // unique, so a match is our message. A minute either side allows for clock differences.
        const pageSize = 50;
        for (let offset = 0; offset < 500; offset += pageSize) {
          const search = new URLSearchParams({
            recipient: query.recipient.replace(/^\+/, ''),
            from: new Date(query.since.getTime() - 60_000).toISOString(),
            until: new Date(Date.now() + 60_000).toISOString(),
            limit: String(pageSize),
            offset: String(offset),
          });
          const { status, body } = await call(`/messages?${search}`);
          if (status !== 200) return { kind: 'unavailable', reason: `MessageBird answered HTTP ${status} to a look-up` };
          const items = (body as { items?: unknown })?.items;
          if (!Array.isArray(items)) return { kind: 'unavailable', reason: 'MessageBird answered a look-up without a list of messages' };
          const match = (items as ApiMessage[]).find((item) => item?.reference === query.reference && typeof item.id === 'string');
          if (match) return { kind: 'found', providerMessageId: match.id as string };
          if (items.length < pageSize) return { kind: 'not-found' };
        }
        return { kind: 'unavailable', reason: 'Too many messages to this number to look through' };
      } catch (error) {
        const failure = requestFailure(error, timeoutReason);
        return { kind: 'unavailable', reason: failure.reasons[0]! };
      }
    },
  };
}

/** Sorts an HTTP answer by its status first, then by what the body says. */
function classifyAnswer(status: number, body: unknown): SendOutcome {
  const errors = providerErrors(body);
  const problem = {
    statusCode: status,
    code: errors[0]?.code,
    reasons: errors.length > 0 ? errors.map((error) => error.description) : [`MessageBird answered HTTP ${status}`],
  };
  if (status >= 200 && status < 300) {
    const id = (body as ApiMessage | undefined)?.id;
    if (typeof id === 'string' && id !== '') return { kind: 'accepted', providerMessageId: id };
    return { kind: 'unknown', ...problem, reasons: [`MessageBird answered HTTP ${status} without a message id`] };
  }
  if (status === 429) return { kind: 'try-later', ...problem };
  if (status >= 500) {
    // Only MessageBird's own error body says it did not take the message; a bare 5xx (a proxy, a
    // crash half-way) may come after it did.
    if (errors.length > 0) return { kind: 'try-later', ...problem };
    return { kind: 'unknown', ...problem, reasons: [`MessageBird answered HTTP ${status} without saying what happened`] };
  }
  if (status >= 400) return { kind: 'refused', ...problem };
  return { kind: 'unknown', ...problem };
}

function providerErrors(body: unknown): ProviderError[] {
  const errors = (body as ErrorBody | undefined)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((item) => ({
    code: typeof item?.code === 'number' ? item.code : undefined,
    description: typeof item?.description === 'string' ? item.description : 'Unknown error',
    parameter: typeof item?.parameter === 'string' ? item.parameter : undefined,
  }));
}

/** A request that got no HTTP answer: either it never left, or nobody can say what happened. */
function requestFailure(error: unknown, timeoutReason: string): Extract<SendOutcome, { kind: 'not-sent' | 'unknown' }> {
  const problem = { statusCode: undefined, code: undefined };
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return { kind: 'unknown', ...problem, reasons: [timeoutReason] };
  }
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  const code = cause?.code ?? (error as NodeJS.ErrnoException | undefined)?.code;
  const notSent = code ? notSentCodes.get(code) : undefined;
  if (notSent) return { kind: 'not-sent', ...problem, reasons: [notSent] };
  if (code && (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT'))) {
    return { kind: 'not-sent', ...problem, reasons: [`The secure connection to MessageBird failed (${code})`] };
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return { kind: 'unknown', ...problem, reasons: ['The connection to MessageBird was cut off before it answered'] };
  }
  const detail = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return { kind: 'unknown', ...problem, reasons: [`Lost contact with MessageBird (${detail})`] };
}
