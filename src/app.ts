import express from 'express';
import type { ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import createError from 'http-errors';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Config } from './config.ts';
import type { Db } from './db/database.ts';
import type { Dispatcher } from './notifications/dispatcher.ts';
import { createMessageRepository } from './notifications/message-repository.ts';
import { createNotifier } from './notifications/notifier.ts';
import { createWebhookRouter } from './notifications/webhook-router.ts';
import { createOrderRepository } from './orders/order-repository.ts';
import { createOrdersRouter } from './orders/orders-router.ts';
import { createAccountRouter } from './staff/account-router.ts';
import { createAuthRouter } from './staff/auth-router.ts';
import { loadCurrentStaff, requireStaff } from './staff/authentication.ts';
import { createLoginThrottle } from './staff/login-throttle.ts';
import type { ThrottleLimits } from './staff/login-throttle.ts';
import { createPasswordHasher } from './staff/passwords.ts';
import type { PasswordHasher } from './staff/passwords.ts';
import { createStaffRepository } from './staff/staff-repository.ts';
import { createStaffRouter } from './staff/staff-router.ts';
import { csrfProtection, exposeCsrfToken } from './web/csrf.ts';
import { exposeFlash } from './web/flash.ts';
import { createTimeFormatter } from './web/format.ts';
import { createSessionMiddleware } from './web/session.ts';

export type AppDeps = {
  config: Config;
  db: Db;
  /** Sends what the outbox holds; server.ts starts and stops it. */
  dispatcher: Dispatcher;
  logger: Logger;
  /** Defaults to production-strength scrypt; tests pass a cheaper one. */
  passwords?: PasswordHasher;
  throttleLimits?: ThrottleLimits;
};

const root = join(import.meta.dirname, '..');

export function createApp(deps: AppDeps): express.Express {
  const { config, db, logger } = deps;
  const orders = createOrderRepository(db);
  const messages = createMessageRepository(db);
  const notifier = createNotifier({ orders, messages, dispatcher: deps.dispatcher, waitMs: config.outbox.notifyWaitMs });
  const staff = createStaffRepository(db);
  const passwords = deps.passwords ?? createPasswordHasher();
  const throttle = createLoginThrottle(db, deps.throttleLimits);

  const app = express();
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', join(root, 'views'));
  const formatTime = createTimeFormatter(config.timeZone);
  app.locals.formatTime = formatTime;

  app.use(pinoHttp({ logger, autoLogging: { ignore: (req) => req.url === '/healthz' } }));
  app.use(helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        // No upgrade-insecure-requests: kitchens often reach the board over plain HTTP on the LAN,
        // where upgrading the stylesheet requests would break the page.
      },
    },
    // HSTS only means something over HTTPS; on the plain-HTTP LAN it is left out (below).
    strictTransportSecurity: false,
  }));
  app.use((req, res, next) => {
    if (req.secure) res.set('Strict-Transport-Security', 'max-age=31536000');
    next();
  });
  app.use(express.static(join(root, 'public'), { maxAge: '1h' }));
  app.use('/vendor/pico', express.static(join(root, 'node_modules/@picocss/pico/css'), { maxAge: '1d' }));

  const healthCheck = db.prepare('SELECT 1 FROM orders LIMIT 1');
  app.get('/healthz', (req, res) => {
    try {
      healthCheck.get();
      res.json({ status: 'ok' });
    } catch (error) {
      req.log.error({ err: error }, 'health check failed');
      res.status(503).json({ status: 'unavailable', reason: 'database' });
    }
  });

  // Webhooks carry their own authentication (a signed JWT), not a session.
  app.use(createWebhookRouter({ messages, signingKey: config.messagebird.signingKey, publicUrl: config.publicUrl }));

  // Everything below needs a session; everything that changes state also needs a CSRF token.
  app.use(express.urlencoded({ extended: false, limit: '10kb', parameterLimit: 20 }));
  app.use(createSessionMiddleware(db, config.session));
  app.use(loadCurrentStaff(staff, config.session));
  app.use(exposeCsrfToken);
  app.use(csrfProtection);
  app.use(exposeFlash);

  app.use(createAuthRouter({ staff, passwords, throttle, formatTime }));
  app.use(requireStaff);
  app.use(createOrdersRouter({ orders, messages, notifier, formatTime }));
  app.use(createAccountRouter({ staff, passwords }));
  app.use(createStaffRouter({ staff, passwords }));

  app.use((_req, _res, next) => next(createError(404, 'There is no page at this address.')));
  app.use(errorHandler(config));
  return app;
}

function errorHandler(config: Config): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const status = createError.isHttpError(error) ? error.status : 500;
    if (status >= 500) req.log.error({ err: error }, 'request failed');
    // A 4xx message is written for the user; a 5xx message may leak internals.
    const message = status < 500 && createError.isHttpError(error) && error.expose
      ? error.message
      : 'Something went wrong on our side. Please try again.';
    res.status(status).render('error', {
      title: status === 404 ? 'Not found' : 'Error',
      status,
      message,
      stack: config.env === 'development' && status >= 500 ? String(error?.stack ?? error) : undefined,
    });
  };
}
