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

export type Services = Awaited<ReturnType<typeof createServices>>;

/**
 * The one place the long-lived parts are built — database, SMS sender, dispatcher — for the server
 * and the tests alike. Whoever creates them calls close(). The dispatcher is built stopped: the
 * server starts it once it listens.
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

  let closed: Promise<number> | undefined;
  return {
    database,
    sender,
    messages,
    dispatcher,
    /** Stops the dispatcher (waiting at most `timeoutMs` for sends in flight) and closes the database; returns the sends left unfinished. */
    close(timeoutMs = 10_000): Promise<number> {
      closed ??= dispatcher.stop(timeoutMs).then((unfinished) => {
        return database.close().then(() => unfinished);
      });
      return closed;
    },
  };
}
