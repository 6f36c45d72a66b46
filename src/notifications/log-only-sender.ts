import type { Logger } from 'pino';
import type { LookupOutcome, SendOutcome, SmsMessage, SmsSender } from './sms-sender.ts';

/**
 * Used when no MessageBird key is configured, so the app works fully offline:
 * it logs the message and reports that nothing was sent.
 */
export function createLogOnlySender(logger: Logger): SmsSender {
  return {
    async send(message: SmsMessage): Promise<SendOutcome> {
      logger.info({ recipient: message.recipient, reference: message.reference, body: message.body }, 'SMS not sent: no MESSAGEBIRD_API_KEY configured');
      return { kind: 'logged' };
    },
    // Nothing is ever sent, so there is never anything to find.
    async lookup(): Promise<LookupOutcome> {
      return { kind: 'not-found' };
    },
  };
}
