import express from 'express';
import type { ErrorRequestHandler } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import createError from 'http-errors';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Config } from './config.ts';
import type { Db } from './db/database.ts';
import { createNotifier } from './notifications/notifier.ts';
import type { SmsSender } from './notifications/sms-sender.ts';
import { createOrderRepository } from './orders/order-repository.ts';
import { createOrdersRouter } from './orders/orders-router.ts';
import { takeFlash } from './web/flash.ts';
import { resolveSessionSecret } from './web/session-secret.ts';
import { SqliteSessionStore } from './web/sqlite-session-store.ts';

export type AppDeps = {
  config: Config;
  db: Db;
  sender: SmsSender;
  logger: Logger;
};

const root = join(import.meta.dirname, '..');

export function createApp(deps: AppDeps): express.Express {
  const { config, db, logger } = deps;
  const orders = createOrderRepository(db);
  const notifier = createNotifier({ orders, sender: deps.sender });

  const app = express();
  app.set('view engine', 'ejs');
  app.set('views', join(root, 'views'));
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
    strictTransportSecurity: false,
  }));
  app.use(express.static(join(root, 'public'), { maxAge: '1h' }));
  app.use('/vendor/pico', express.static(join(root, 'node_modules/@picocss/pico/css'), { maxAge: '1d' }));

  app.get('/healthz', (req, res) => {
    try {
      db.prepare('SELECT 1 FROM orders LIMIT 1').get();
      res.json({ status: 'ok' });
    } catch (error) {
      req.log.error({ err: error }, 'health check failed');
      res.status(503).json({ status: 'unavailable', reason: 'database' });
    }
  });

  app.use(express.urlencoded({ extended: false, limit: '10kb', parameterLimit: 20 }));
  app.use(session({
    name: 'order_desk.sid',
    secret: resolveSessionSecret(db, undefined),
    store: new SqliteSessionStore(db),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 12 * 60 * 60 * 1000 },
  }));
  app.use(takeFlash);

  app.use(createOrdersRouter({ orders, notifier }));

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

const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });

function formatTime(iso: string): string {
  return timeFormat.format(new Date(iso));
}
