import 'dotenv/config';
import { once } from 'node:events';
import { flushCompileCache } from 'node:module';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { createLiveBoard } from './board/live-board.ts';
import { loadConfigOrExit } from './config.ts';
import { banner, createLogger, wantsPrettyLogs } from './logger.ts';
import { isAlphanumericOriginator } from './notifications/originator.ts';
import { createOrderRepository } from './orders/order-repository.ts';
import { seedSampleOrders } from './orders/sample-orders.ts';
import { createServices } from './services.ts';
import { ensureFirstAdmin, FirstAdminError } from './staff/first-admin.ts';
import { createPasswordHasher } from './staff/passwords.ts';
import { createStaffRepository } from './staff/staff-repository.ts';

const config = loadConfigOrExit(process.env);

const logger = createLogger(config.logLevel, { pretty: wantsPrettyLogs(config.env, process.stdout.isTTY) });

// Anything that escapes every handler leaves the process in an unknown state: log it and exit
// non-zero so a supervisor restarts us; the outbox then reconciles what was in flight.
process.on('unhandledRejection', (reason) => {
  logger.fatal({ err: reason }, 'unhandled promise rejection; exiting');
  process.exit(1);
});
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception; exiting');
  process.exit(1);
});

const services = await createServices(config, { logger });
const { database, dispatcher } = services;
const seeded = await seedSampleOrders(createOrderRepository(database, { timeZone: config.timeZone }));
if (seeded > 0) logger.info({ count: seeded }, 'seeded the sample orders into an empty database');

const passwords = createPasswordHasher();
try {
  await ensureFirstAdmin({
    staff: createStaffRepository(database),
    passwords,
    configured: config.firstAdmin,
    logger,
    announce: (lines) => process.stdout.write(banner(lines, { bold: process.stdout.hasColors?.() })),
  });
} catch (error) {
  if (!(error instanceof FirstAdminError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// Normal on a laptop; worth a warning only where customers are meant to get texts.
if (!config.messagebird.apiKey) logger[config.env === 'production' ? 'warn' : 'info']('MESSAGEBIRD_API_KEY is not set: notifications are logged, not sent');
if (!config.publicUrl) logger.info('PUBLIC_URL is not set: MessageBird will not send delivery reports');
// A warning where customers get texts; on a laptop without a key, information like the lines above.
if (isAlphanumericOriginator(config.messagebird.originator)) {
  logger[config.messagebird.apiKey ? 'warn' : 'info']({ originator: config.messagebird.originator }, 'MESSAGEBIRD_ORIGINATOR is a sender name, not a number: customers cannot reply to it (so STOP never arrives), and the US and Canada do not allow it. Use a two-way MessageBird number');
}

const liveBoard = createLiveBoard(database, { logger: logger.child({ component: 'live-board' }) });
const app = await createApp({ config, database, dispatcher, logger, passwords, liveBoard, webhookSender: services.webhookSender });
const server = app.listen(config.port, config.host ?? '');
try {
  await once(server, 'listening');
} catch (error) {
  // Most often another Order Desk on the same port: this process must not touch its outbox.
  logger.fatal({ err: error }, 'could not listen; exiting without sending anything');
  await services.close(0);
  process.exit(1);
}
// Only a process that serves the board sends messages, and the shops' status updates.
dispatcher.start();
services.webhookSender.start();
// What Node compiled for this start (npm start turns its compile cache on) goes to the disk now, not
// at exit: a second instance or a tool started meanwhile, and the start after a crash (which never
// reaches exit), then skip compiling from source and loading Node's TypeScript stripper — 20 to 40
// MB that such a process would keep for its life (docs/performance.md). Nothing when it is off.
flushCompileCache();
const { port } = server.address() as AddressInfo;
logger.info({ port, databasePath: config.databasePath, instanceId: dispatcher.instanceId }, `Order Desk is listening on http://${config.host ?? 'localhost'}:${port}`);
// Someone at a terminal gets the address to open set apart from the log lines; a log collector
// reading a pipe gets only the JSON line above.
if (process.stdout.isTTY) {
  const host = !config.host || config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  process.stdout.write(banner([
    `Order Desk is running: open http://${host}:${port} in a browser`,
    `Database: ${resolve(config.databasePath)}`,
    'Stop it with Ctrl+C.',
  ], { bold: process.stdout.hasColors() }));
}

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
  // The dispatcher takes no new work from now on; messages still sending after the bound are handed
  // over as 'checking' and looked up at MessageBird by the next start.
  const [, unfinished] = await Promise.all([
    new Promise<void>((resolve) => server.close(() => resolve())),
    services.close(10_000),
  ]);
  if (unfinished > 0) logger.warn({ unfinished }, 'stopped with messages still being sent');
  logger.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
