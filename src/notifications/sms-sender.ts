export type SmsMessage = {
  recipient: string;
  body: string;
  /** Our unique id for this message; the provider echoes it in delivery reports. */
  reference: string;
  reportUrl?: string;
};

export type SmsSendResult = {
  /** The provider's id for the message; undefined when nothing went over the network. */
  providerMessageId: string | undefined;
  /** False when the sender only logged the message (no provider configured). */
  sent: boolean;
};

/** What every SMS provider adapter implements; routes and services depend only on this. */
export interface SmsSender {
  send(message: SmsMessage): Promise<SmsSendResult>;
}

export type SmsFailureKind =
  /** The provider answered and refused the message (4xx): sending it again will not help. */
  | 'rejected'
  /** The provider answered with a server error or asked us to slow down (5xx, 429). */
  | 'provider-unavailable'
  /** The request never got an answer: connection refused, reset, DNS failure. */
  | 'network'
  /** No answer within the time limit. */
  | 'timeout';

export type ProviderError = { code: number | undefined; description: string; parameter: string | undefined };

export class SmsSendError extends Error {
  readonly kind: SmsFailureKind;
  readonly statusCode: number | undefined;
  readonly providerErrors: ProviderError[];

  constructor(kind: SmsFailureKind, message: string, options: { statusCode?: number; providerErrors?: ProviderError[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SmsSendError';
    this.kind = kind;
    this.statusCode = options.statusCode;
    this.providerErrors = options.providerErrors ?? [];
  }

  /** Plain-words reasons to show staff: the provider's own descriptions when it gave any. */
  get reasons(): string[] {
    if (this.providerErrors.length > 0) return this.providerErrors.map((error) => error.description);
    return [this.message];
  }
}
