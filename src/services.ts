import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { openDatabase } from './db/database.ts';
import { createDispatcher } from './notifications/dispatcher.ts';
import { createLogOnlySender } from './notifications/log-only-sender.ts';
import { createMessageRepository } from './notifications/message-repository.ts';
import { createMessageBirdSender } from './notifications/messagebird-sender.ts';
import type { SmsSender } from './notifications/sms-sender.ts';
import { deliveryReportPath } from './notifications/webhook-router.ts';
import { createWebhookRepository } from './webhooks/webhook-repository.ts';
import { createWebhookSender } from './webhooks/webhook-sender.ts';

export type Services = Awaited<ReturnType<typeof createServices>>;

/**
 * The one place the long-lived parts are built — database, SMS sender, dispatcher, the shops'
 * status updates — for the server and the tests alike. Whoever creates them calls close(). The
 * dispatcher and the webhook sender are built stopped: the server starts them once it listens.
 */
export async function createServices(config: Config, deps: { logger: Logger; sender?: SmsSender; random?: () => number }) {
  const { logger } = deps;
  const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { path: config.databasePath }, { poolSize: config.databasePoolSize });
  const sender = deps.sender ?? (config.messagebird.apiKey
    ? createMessageBirdSender({ ...config.messagebird, apiKey: config.messagebird.apiKey })
    : createLogOnlySender(logger));
  const messages = createMessageRepository(database);
  const instanceId = randomUUID();
  const dispatcher = createDispatcher(
    { messages, sender, logger: logger.child({ component: 'dispatcher', instanceId }) },
    {
      ...config.outbox,
      instanceId,
      random: deps.random,
      reportUrl: config.publicUrl ? `${config.publicUrl.replace(/\/+$/, '')}${deliveryReportPath}` : undefined,
    },
  );

  const webhookSender = createWebhookSender(
    { deliveries: createWebhookRepository(database), logger: logger.child({ component: 'webhooks', instanceId }) },
    { instanceId },
  );

  let closed: Promise<number> | undefined;
  return {
    database,
    sender,
    messages,
    dispatcher,
    webhookSender,
    /**
     * Stops the dispatcher and the webhook sender (waiting at most `timeoutMs` for what is in
     * flight) and closes the database; returns the texts left unfinished.
     */
    close(timeoutMs = 10_000): Promise<number> {
      closed ??= Promise.all([dispatcher.stop(timeoutMs), webhookSender.stop(timeoutMs)]).then(([unfinished]) => {
        return database.close().then(() => unfinished);
      });
      return closed;
    },
  };
}
