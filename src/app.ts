import compression from 'compression';
import express, { Router } from 'express';
import createError from 'http-errors';
import { extname, join } from 'node:path';
import type { Logger } from 'pino';
import { createBoardRepository } from './board/board-repository.ts';
import { createBoardRouter, createBoardView, isBoardPage } from './board/board-router.ts';
import { createLiveBoard } from './board/live-board.ts';
import type { LiveBoard } from './board/live-board.ts';
import { createApiKeyRepository } from './api/api-key-repository.ts';
import { createApiKeysRouter } from './api/api-keys-router.ts';
import { createApiRouter } from './api/api-router.ts';
import { createRateLimiter } from './api/rate-limiter.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { Dispatcher } from './notifications/dispatcher.ts';
import { createMessageRepository } from './notifications/message-repository.ts';
import { createMessageStatsRepository } from './notifications/message-stats-repository.ts';
import { createMessagesRouter } from './notifications/messages-router.ts';
import { liveStates, messageStateLabels } from './notifications/message-states.ts';
import { createInboundRouter, withoutInboundToken } from './notifications/inbound-router.ts';
import { createNotifier } from './notifications/notifier.ts';
import { createOptOutRepository } from './notifications/opt-out-repository.ts';
import { createReplyRepository, replyPreview } from './notifications/reply-repository.ts';
import { createRepliesRouter } from './notifications/replies-router.ts';
import { createTemplateRepository } from './notifications/template-repository.ts';
import { createQuickAnswerRepository } from './notifications/quick-answer-repository.ts';
import { createTemplatesRouter } from './notifications/templates-router.ts';
import { createWebhookRouter } from './notifications/webhook-router.ts';
import { createOrderFormRouter } from './orders/order-form-router.ts';
import { createIntakePauseRepository } from './orders/intake-pauses.ts';
import { createIntakeRouter } from './orders/intake-router.ts';
import { createOrderRepository } from './orders/order-repository.ts';
import { cancelReasonMaxLength, finishedStatuses, orderStatuses } from './orders/order-status.ts';
import { createOrdersRouter } from './orders/orders-router.ts';
import { createTrackingRepository, trackingPath } from './orders/tracking-repository.ts';
import { createTrackingRouter } from './orders/tracking-router.ts';
import { delayLimits, quickDelays } from './orders/delays.ts';
import { dueAt } from './orders/schedule.ts';
import { createSettingsRepository } from './settings/settings-repository.ts';
import { createSettingsRouter } from './settings/settings-router.ts';
import { createAccountRouter } from './staff/account-router.ts';
import { createAuthRouter } from './staff/auth-router.ts';
import { loadCurrentStaff, requireStaff, sendSignedOutFormToSignIn } from './staff/authentication.ts';
import { createLoginThrottle } from './staff/login-throttle.ts';
import type { ThrottleLimits } from './staff/login-throttle.ts';
import { createPasswordHasher } from './staff/passwords.ts';
import type { PasswordHasher } from './staff/passwords.ts';
import { createStaffRepository } from './staff/staff-repository.ts';
import { createStaffRouter } from './staff/staff-router.ts';
import { useAccessLog } from './web/access-log.ts';
import { brotliParams, gzipLevel } from './web/page-compression.ts';
import { createCsrf } from './web/csrf.ts';
import { errorHandler, refuseOddRequestTargets } from './web/errors.ts';
import { warnAboutUntrustedProxy } from './web/proxy-warning.ts';
import { createWebhookRepository } from './webhooks/webhook-repository.ts';
import type { WebhookSender } from './webhooks/webhook-sender.ts';
import { createFlashMiddleware } from './web/flash.ts';
import { createTimeFormatter } from './web/format.ts';
import { createZonedCalendar } from './web/zoned-days.ts';
import { resolveSessionSecret } from './web/session-secret.ts';
import { securityHeaders } from './web/security-headers.ts';
import { createSessionMiddleware } from './web/session.ts';

export type AppDeps = {
  config: Config;
  database: Database;
  /** Sends what the outbox holds; server.ts starts and stops it. */
  dispatcher: Dispatcher;
  logger: Logger;
  /** Defaults to production-strength scrypt; tests pass a cheaper one. */
  passwords?: PasswordHasher;
  throttleLimits?: ThrottleLimits;
  /** The /events hub; server.ts passes its own to end the streams at shutdown. */
  liveBoard?: LiveBoard;
  /** How often an open /events stream checks its session and sends a heartbeat. */
  heartbeatMs?: number;
  /** Sends the shops' status updates; woken after each change here (server.ts starts it). */
  webhookSender?: Pick<WebhookSender, 'wake'>;
};

const root = join(import.meta.dirname, '..');

/** Builds the app; async only for what it reads from the database first (the session secret). */
export async function createApp(deps: AppDeps): Promise<express.Express> {
  const { config, database: db, logger } = deps;
  const orders = createOrderRepository(db, { timeZone: config.timeZone });
  const messages = createMessageRepository(db);
  const formatTime = createTimeFormatter(config.timeZone);
  const templates = createTemplateRepository(db);
  const quickAnswers = createQuickAnswerRepository(db);
  const optOuts = createOptOutRepository(db);
  const replies = createReplyRepository(db);
  const tracking = createTrackingRepository(db);
  const notifier = createNotifier({
    database: db, orders, messages, dispatcher: deps.dispatcher, waitMs: config.outbox.notifyWaitMs, templates, restaurantName: config.restaurantName, formatTime,
    tracking: { repository: tracking, publicUrl: config.publicUrl },
  });
  const settings = createSettingsRepository(db);
  const staff = createStaffRepository(db);
  const passwords = deps.passwords ?? createPasswordHasher();
  const throttle = createLoginThrottle(db, deps.throttleLimits);
  const apiKeys = createApiKeyRepository(db);
  const board = createBoardRepository(db);
  const intake = createIntakePauseRepository(db);
  const webhooks = createWebhookRepository(db);
  const live = deps.liveBoard ?? createLiveBoard(db, { logger });
  // The kitchen's days, in TIME_ZONE: the board's counts, the Done view, the Messages page.
  const calendar = createZonedCalendar(config.timeZone);
  const boardView = createBoardView({ board, messages, replies, live, settings: config.board, days: calendar, textDefaults: settings.recentTextDefaults, intake });

  const app = express();
  // Nobody needs to know what the server runs on (helmet's advice too).
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', join(root, 'views'));
  // Templates compiled once, in every environment (Express turns this on only in production): a
  // page render must not read and compile its views and partials again each time.
  app.set('view cache', true);
  app.locals.formatTime = formatTime;
  app.locals.messageStateLabels = messageStateLabels;
  app.locals.replyPreview = replyPreview;
  // When an order is due (the board's order and late mark): the one rule, for the row partial.
  app.locals.dueAt = dueAt;
  // What every board row needs besides its order: the one row partial reads it from here.
  app.locals.board = { ...config.board, statuses: orderStatuses, finished: finishedStatuses, liveStates, delays: { ...delayLimits, quick: quickDelays }, cancelReasonMaxLength };

  useAccessLog(app, logger, {
    skip: (req) => req.url === '/healthz',
    address: withoutInboundToken,
    // Which API key a request came with, by its visible prefix (never the key).
    extra: (res) => {
      const apiClient = res.locals.apiClient;
      return apiClient ? { apiKeyPrefix: apiClient.prefix } : undefined;
    },
  });
  app.use(refuseOddRequestTargets);
  // A form or webhook that changed something here reaches the open boards without waiting for the
  // hub's next look (changes made by other processes wait for it: at most 50 ms).
  // The same for the shops' status updates: one a change here queued goes out without waiting for
  // the sender's next look (a second at most).
  const wakeSender = deps.webhookSender ? deps.webhookSender.wake : undefined;
  app.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.on('finish', live.wake);
      if (wakeSender) res.on('finish', wakeSender);
    }
    next();
  });
  app.use(warnAboutUntrustedProxy(config.trustProxy, logger));
  // helmet's headers, worked out once (security-headers.ts); Strict-Transport-Security over HTTPS.
  app.use(securityHeaders());
  // Pages, styles and scripts go out compressed; the live stream is written event by event, not
  // buffered. The board page compresses itself (kept already compressed per version): the
  // middleware is not even wrapped around it, as its pass-through costs the busiest page about 9%.
  const compress = compression({
    level: gzipLevel,
    brotli: { params: brotliParams },
    filter: (req, res) => !req.path.startsWith('/events') && compression.filter(req, res),
  });
  app.use((req, res, next) => (isBoardPage(req) ? next() : compress(req, res, next)));
  // Static files all have an extension: a page such as the board costs no file look-up (and no
  // "not found" error object) on each request.
  const staticFiles = express.static(join(root, 'public'), { maxAge: '1h', index: false });
  app.use((req, res, next) => (extname(req.path) ? staticFiles(req, res, next) : next()));
  app.use('/vendor/pico', express.static(join(root, 'node_modules/@picocss/pico/css'), { maxAge: '1d' }));

  app.get('/healthz', async (req, res) => {
    try {
      await db.value('SELECT 1 FROM orders LIMIT 1');
      res.json({ status: 'ok' });
    } catch (error) {
      req.log.error({ err: error }, 'health check failed');
      res.status(503).json({ status: 'unavailable', reason: 'database' });
    }
  });

  // Webhooks carry their own authentication (a signed JWT, or the inbound address's token), not a
  // session. Only their own addresses enter these routers (as below for the new-order form): every
  // other request, the board's included, skips them without trying each of their routes.
  app.use(onlyUnder('/webhooks/', Router().use(
    createWebhookRouter({ messages, signingKey: config.messagebird.signingKey, publicUrl: config.publicUrl }),
    createInboundRouter({
      optOuts, replies, token: config.messagebird.inboundWebhookToken, signingKey: config.messagebird.signingKey,
      publicUrl: config.publicUrl, defaultCountry: config.defaultCountry,
    }),
  )));

  // The customer's tracking page: the token in its address is its only key (no session).
  app.use(onlyUnder(trackingPath, createTrackingRouter({ tracking, restaurantName: config.restaurantName, restaurantPhone: config.restaurantPhone, formatTime })));

  // The intake API authenticates by API key: no session, no CSRF token, problem+json errors.
  app.use('/api', createApiRouter({
    orders, messages, apiKeys, defaultCountry: config.defaultCountry, env: config.env, tracking, publicUrl: config.publicUrl,
    rateLimiter: createRateLimiter(db, { limit: config.api.rateLimitPerMinute, windowMs: 60_000 }), intake,
  }));

  // Everything below needs a session; everything that changes state also needs a CSRF token.
  app.use(express.urlencoded({ extended: false, limit: '10kb', parameterLimit: 20 }));
  const secret = await resolveSessionSecret(db, config.session.secret);
  const csrf = createCsrf(secret, { signedOut: sendSignedOutFormToSignIn });
  app.use(createSessionMiddleware(db, { ...config.session, secret }));
  // Before the current account is loaded: a session that ran out leaves a flash for the login page.
  app.use(createFlashMiddleware(secret));
  app.use(loadCurrentStaff(staff, config.session));
  // Pages with orders, phone numbers or a CSRF token must not sit in a shared browser cache.
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use(csrf.exposeCsrfToken);
  app.use(csrf.csrfProtection);

  app.use(createAuthRouter({ staff, orders, passwords, throttle, formatTime }));
  app.use(requireStaff);
  app.use(onlyUnder('/orders/', createOrderFormRouter({ orders, defaultCountry: config.defaultCountry, calendar, formatTime })));
  app.use(createBoardRouter({ view: boardView, board, messages, live, sessionMaxHours: config.session.maxHours, heartbeatMs: deps.heartbeatMs }));
  app.use(createOrdersRouter({ orders, messages, optOuts, replies, notifier, formatTime, renderBoard: boardView.render, textDefaults: settings.recentTextDefaults, quickAnswers, lateAfterMinutes: config.board.lateAfterMinutes, originator: config.messagebird.originator, shopUpdates: webhooks }));
  app.use(createMessagesRouter({ stats: createMessageStatsRepository(db), calendar }));
  app.use(createRepliesRouter({ replies }));
  app.use(createIntakeRouter({ intake, formatTime }));
  app.use(createAccountRouter({ staff, passwords }));
  app.use(createStaffRouter({ staff, passwords }));
  app.use(createApiKeysRouter({ apiKeys, webhooks }));
  app.use(createTemplatesRouter({ templates, quickAnswers, restaurantName: config.restaurantName, publicUrl: config.publicUrl }));
  app.use(createSettingsRouter({ settings }));

  app.use((_req, _res, next) => next(createError(404, 'There is no page at this address.')));
  app.use(errorHandler({ showDetails: config.showErrorDetails }));
  return app;
}

/**
 * Hands a request to `router` only when its path is under `prefix` (letters and slashes; any case,
 * as Express matches routes); any other request goes straight on. The router's routes stay in the
 * app's route table (its `stack`), where the test that every route is guarded finds them.
 */
function onlyUnder(prefix: string, router: express.Router): express.RequestHandler {
  if (!/^\/[a-z/-]+$/.test(prefix)) throw new Error(`onlyUnder takes a plain path prefix, not ${prefix}`);
  const under = new RegExp(`^${prefix}`, 'i');
  const handler: express.RequestHandler = (req, res, next) => (under.test(req.path) ? router(req, res, next) : next());
  return Object.assign(handler, { stack: router.stack });
}
