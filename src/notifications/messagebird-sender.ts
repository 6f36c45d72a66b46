import { initClient } from 'messagebird';
import https from 'node:https';
import type { ProviderError, SmsMessage, SmsSender, SmsSendResult } from './sms-sender.ts';
import { SmsSendError } from './sms-sender.ts';

export type MessageBirdSenderOptions = {
  apiKey: string;
  originator: string;
  timeoutMs: number;
};

type SdkError = Error & {
  statusCode?: number;
  errors?: Array<{ code?: number; description?: string; parameter?: string | null }>;
  error?: NodeJS.ErrnoException;
};

/**
 * Sends SMS through the official MessageBird SDK (v4), which only has callbacks and
 * always talks to rest.messagebird.com.
 */
export function createMessageBirdSender(options: MessageBirdSenderOptions): SmsSender {
  avoidSocketReuse();
  const client = initClient(options.apiKey, options.timeoutMs);

  return {
    send(message: SmsMessage): Promise<SmsSendResult> {
      // The SDK mutates the params it is given, so each call builds a fresh object.
      const params: Record<string, unknown> = {
        originator: options.originator,
        recipients: [message.recipient],
        body: message.body,
        reference: message.reference,
      };
      if (message.reportUrl) params.reportUrl = message.reportUrl;

      return new Promise((resolve, reject) => {
        // The SDK's own timeout is per socket inactivity and reports as "socket hang up";
        // our deadline covers the whole call and names it a timeout.
        let settled = false;
        const deadline = setTimeout(() => {
          settled = true;
          reject(new SmsSendError('timeout', `MessageBird did not answer within ${options.timeoutMs / 1000} seconds`));
        }, options.timeoutMs);

        // A callback is mandatory: without one the SDK throws from inside its socket handlers.
        client.messages.create(params as never, (error: SdkError | null, response: { id?: string } | null) => {
          clearTimeout(deadline);
          if (settled) return;
          settled = true;
          if (error) reject(toSendError(error));
          else resolve({ providerMessageId: response?.id, sent: true });
        });
      });
    },
  };
}

function toSendError(error: SdkError): SmsSendError {
  const statusCode = error.statusCode;
  if (statusCode === undefined) {
    // "request failed: …" — the request never got an HTTP answer.
    const code = error.error?.code;
    const reason = code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? networkReasons[code]
      : `Could not reach MessageBird (${error.error?.message ?? error.message})`;
    return new SmsSendError('network', reason, { cause: error });
  }
  const providerErrors: ProviderError[] = (error.errors ?? []).map((item) => ({
    code: item.code,
    description: item.description ?? 'Unknown error',
    parameter: item.parameter ?? undefined,
  }));
  const kind = statusCode === 429 || statusCode >= 500 ? 'provider-unavailable' : 'rejected';
  const message = providerErrors.length > 0
    ? providerErrors.map((item) => item.description).join('; ')
    : `MessageBird answered HTTP ${statusCode}`;
  return new SmsSendError(kind, message, { statusCode, providerErrors, cause: error });
}

const networkReasons = {
  ECONNRESET: 'The connection to MessageBird was cut off before it answered',
  ECONNREFUSED: 'MessageBird refused the connection',
  ENOTFOUND: 'MessageBird could not be found: is this machine online?',
  EAI_AGAIN: 'MessageBird could not be found: is this machine online?',
} as const;

/**
 * The SDK adds a 'timeout' listener to the socket of every request and never removes it. Node's
 * global HTTPS agent keeps sockets alive (the default since Node 19), so a reused socket collects one
 * listener per message: a MaxListenersExceededWarning after ten, and a leak under steady sending.
 * The SDK takes no agent option, so its requests get the global agent; Order Desk makes no other
 * HTTPS calls, and one TLS handshake per SMS costs little next to the SMS itself.
 */
function avoidSocketReuse(): void {
  if (https.globalAgent.options.keepAlive) https.globalAgent = new https.Agent({ keepAlive: false });
}
