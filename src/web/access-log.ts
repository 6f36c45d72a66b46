import type { Express, NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

declare module 'http' {
  interface IncomingMessage {
    /** This process's number for the request, in its access line and in every line logged for it. */
    id: number;
    /** The app's logger with this request (id, method, address) bound to each line. */
    log: Logger;
  }
}

/**
 * One line per request ("request completed": id, method, address, status, milliseconds; at error
 * level for a 5xx), and `req.log` for what a handler logs about it.
 *
 * Written here rather than with pino-http, measured on the board page: pino-http made a child
 * logger for every request and passed each access line through the app logger's redaction
 * (`*.password` looks at every key), together about a tenth of the busiest page's time. An access
 * line holds only the fields below, none of them a header or a body, so it is written by a child
 * without redaction; `req.log`, which handlers pass anything to, keeps it, and is made only for a
 * request that logs something. The id is a counter per process, as pino-http's was.
 */
export function useAccessLog(app: Express, logger: Logger, options: {
  /** No line for these (the health check, polled every few seconds). */
  skip: (req: Request) => boolean;
  /** The address as logged: a secret in it (a webhook's token) taken out. */
  address: (url: string) => string;
  /** What else the line says, from what the request left in res.locals. */
  extra?: (res: Response) => Record<string, unknown> | undefined;
}): void {
  const lines = logger.child({}, { redact: [] });
  // On the app's request prototype, once: a request pays for its logger only if it uses it.
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: LoggedRequest) {
      return (this[ownLog] ??= logger.child({ req: this[requestLine] }));
    },
    set(this: LoggedRequest, value: Logger) {
      this[ownLog] = value;
    },
  });
  let lastId = 0;
  app.use((req: Request, res: Response, next: NextFunction): void => {
    const id = ++lastId;
    const started = performance.now();
    const request = { id, method: req.method, url: options.address(req.originalUrl) };
    req.id = id;
    (req as LoggedRequest)[requestLine] = request;
    if (!options.skip(req)) {
      const done = () => {
        res.off('finish', done).off('close', done);
        const line = { req: request, res: { statusCode: res.statusCode }, responseTime: Math.round(performance.now() - started), ...options.extra?.(res) };
        if (!res.writableFinished) lines.info(line, 'request aborted');
        else if (res.statusCode >= 500) lines.error(line, 'request completed');
        else lines.info(line, 'request completed');
      };
      res.on('finish', done).on('close', done);
    }
    next();
  });
}

const requestLine = Symbol('access line request');
const ownLog = Symbol('request logger');
type LoggedRequest = Request & { [requestLine]?: { id: number; method: string; url: string }; [ownLog]?: Logger };
