import 'dotenv/config';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { createLiveBoard } from './board/live-board.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openDatabase } from './db/database.ts';
import { createLogger } from './logger.ts';
import { createLogOnlySender } from './notifications/log-only-sender.ts';
import { createDispatcher } from './notifications/dispatcher.ts';
import { createMessageRepository } from './notifications/message-repository.ts';
import { createMessageBirdSender } from './notifications/messagebird-sender.ts';
import { deliveryReportPath } from './notifications/webhook-router.ts';
import { createOrderRepository } from './orders/order-repository.ts';
import { seedSampleOrders } from './orders/sample-orders.ts';
import { ensureFirstAdmin, FirstAdminError } from './staff/first-admin.ts';
import { createPasswordHasher } from './staff/passwords.ts';
import { createStaffRepository } from './staff/staff-repository.ts';

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const logger = createLogger(config.logLevel);
const db = openDatabase(config.databasePath);
const seeded = seedSampleOrders(createOrderRepository(db));
if (seeded > 0) logger.info({ count: seeded }, 'seeded the sample orders into an empty database');

const passwords = createPasswordHasher();
try {
  await ensureFirstAdmin({
    staff: createStaffRepository(db),
    passwords,
    configured: config.firstAdmin,
    logger,
    announce: (text) => process.stdout.write(`${text}\n`),
  });
} catch (error) {
  if (!(error instanceof FirstAdminError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const sender = config.messagebird.apiKey
  ? createMessageBirdSender({ ...config.messagebird, apiKey: config.messagebird.apiKey })
  : createLogOnlySender(logger);
if (!config.messagebird.apiKey) logger.warn('MESSAGEBIRD_API_KEY is not set: notifications are logged, not sent');
if (!config.publicUrl) logger.warn('PUBLIC_URL is not set: MessageBird will not send delivery reports');

const dispatcher = createDispatcher(
  { messages: createMessageRepository(db), sender, logger: logger.child({ component: 'dispatcher' }) },
  { ...config.outbox, reportUrl: config.publicUrl ? `${config.publicUrl.replace(/\/+$/, '')}${deliveryReportPath}` : undefined },
);
dispatcher.start();

const liveBoard = createLiveBoard(db, { logger: logger.child({ component: 'live-board' }) });
const app = createApp({ config, db, dispatcher, logger, passwords, liveBoard });
const server = app.listen(config.port, config.host ?? '');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
logger.info({ port, databasePath: config.databasePath }, `Order Desk is listening on http://${config.host ?? 'localhost'}:${port}`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  // Force-close after a bound, so a stuck connection cannot keep the process alive forever.
  const force = setTimeout(() => {
    logger.warn('shutdown took too long; closing remaining connections');
    server.closeAllConnections();
  }, 10_000);
  force.unref();
  // Open boards' live streams end now (they reconnect to the next server); then idle connections.
  liveBoard.close();
  server.closeIdleConnections();
  // The dispatcher takes no new work from now on; messages still sending after the bound stay
  // 'sending' in the database and are sent again at the next start.
  const [, unfinished] = await Promise.all([
    new Promise<void>((resolve) => server.close(() => resolve())),
    dispatcher.stop(10_000),
  ]);
  if (unfinished > 0) logger.warn({ unfinished }, 'stopped with messages still being sent');
  db.close();
  logger.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
