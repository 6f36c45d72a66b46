export type SmsMessage = {
  recipient: string;
  body: string;
  /** Our unique id for this message; the provider echoes it in delivery reports and look-ups. */
  reference: string;
  reportUrl?: string;
};

export type ProviderError = { code: number | undefined; description: string; parameter: string | undefined };

/** Why a send did not end in 'accepted', in plain words for staff. */
export type SendProblem = { reasons: string[]; code: number | undefined; statusCode: number | undefined };

/**
 * Every way a send can end. Only 'unknown' leaves open whether the customer got the text, so only
 * it needs a look-up at the provider before anything is sent again.
 */
export type SendOutcome =
  /** The provider answered 2xx with its id for the message. */
  | { kind: 'accepted'; providerMessageId: string }
  /** No provider is configured: the message was only logged. */
  | { kind: 'logged' }
  /** The request never left: connection refused, DNS or TLS failure. Safe to send again. */
  | ({ kind: 'not-sent' } & SendProblem)
  /** The provider answered 4xx (not 429) with its reasons: sending again will not help. */
  | ({ kind: 'refused' } & SendProblem)
  /** The provider answered 429, or 5xx with its error body: it did not take the message; try later. */
  | ({ kind: 'try-later' } & SendProblem)
  /** The request went out but no readable answer came back: the customer may have the text. */
  | ({ kind: 'unknown' } & SendProblem);

export type LookupQuery = {
  reference: string;
  recipient: string;
  /** The provider's id, when an earlier answer gave it. */
  providerMessageId: string | undefined;
  /** When the earliest send of this message may have started. */
  since: Date;
};

export type LookupOutcome =
  | { kind: 'found'; providerMessageId: string }
  | { kind: 'not-found' }
  /** The look-up itself failed; ask again later. */
  | { kind: 'unavailable'; reason: string };

/** What every SMS provider adapter implements; routes and services depend only on this. */
export interface SmsSender {
  /** Never rejects: every failure is one of the outcomes. */
  send(message: SmsMessage): Promise<SendOutcome>;
  /** Asks the provider whether it has the message with this reference. Never rejects. */
  lookup(query: LookupQuery): Promise<LookupOutcome>;
}
