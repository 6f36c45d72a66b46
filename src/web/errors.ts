import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import createError from 'http-errors';
import { randomBytes } from 'node:crypto';

/**
 * Request targets that are not a path ("*", or anything else not starting with "/") never reach
 * the routes: `OPTIONS *` asks about the server as a whole and gets the standard Allow answer
 * (RFC 9110 §9.3.7); anything else is a bad request. Absolute URLs ("http://host/path") are left
 * alone: Node reads the path out of them.
 */
export function refuseOddRequestTargets(req: Request, res: Response, next: NextFunction): void {
  if (req.url.startsWith('/') || /^https?:\/\//i.test(req.url)) return next();
  if (req.method === 'OPTIONS' && req.url === '*') {
    res.set('Allow', 'GET, HEAD, POST').status(204).end();
    return;
  }
  next(createError(400, 'That address is not valid.'));
}

/** A short id shown on the error page and written in the log line, so staff can quote it. */
function newErrorId(): string {
  return randomBytes(5).toString('hex');
}

/**
 * One error handler: renders the error page, logs the error, and shows a stack only when the
 * operator turned SHOW_ERROR_DETAILS on. Express leaves a parameter it cannot percent-decode as a
 * URIError with status 400: the client's fault, so a 400 logged at info.
 */
export function errorHandler(options: { showDetails: boolean }): ErrorRequestHandler {
  return (error, req, res, next) => {
    const undecodable = error instanceof URIError;
    const status = createError.isHttpError(error) ? error.status : undecodable ? 400 : 500;
    // A 4xx message is written for the user; a 5xx message may leak internals.
    const message = undecodable
      ? 'That address is not valid.'
      : status < 500 && createError.isHttpError(error) && error.expose
        ? error.message
        : 'Something went wrong on our side. Please try again.';
    let errorId: string | undefined;
    if (status >= 500) {
      errorId = newErrorId();
      req.log.error({ err: error, errorId }, 'request failed');
    } else if (undecodable) {
      req.log.info({ reason: error.message }, 'bad address');
    }
    // Too late for an error page: Express's own handler closes the connection.
    if (res.headersSent) return next(error);
    res.status(status).render('error', {
      title: status === 404 ? 'Not found' : 'Error',
      status,
      message,
      errorId,
      stack: options.showDetails && status >= 500 ? String(error?.stack ?? error) : undefined,
    });
  };
}
