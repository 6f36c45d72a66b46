import express, { Router } from 'express';
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import createError from 'http-errors';
import type { CountryCode } from 'libphonenumber-js/max';
import type { MessageRepository } from '../notifications/message-repository.ts';
import type { IntakePauseRepository } from '../orders/intake-pauses.ts';
import type { Order, OrderRepository } from '../orders/order-repository.ts';
import { orderDigest } from '../orders/order-repository.ts';
import { trackingLink } from '../orders/tracking-repository.ts';
import type { TrackingRepository } from '../orders/tracking-repository.ts';
import type { ApiKey, ApiKeyRepository } from './api-key-repository.ts';
import { visiblePrefix } from './api-key-repository.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { cancelBody, newOrderBody, orderIdPattern, orderPatchBody, patchedFields, scheduledForProblem, toApiOrder } from './order-resource.ts';
import { fieldProblems, sendProblem } from './problem.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { toIntakeAnswer } from './intake-resource.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The API key the request came with. */
    apiClient?: ApiKey;
    apiOrder?: Order;
  }
}

export const bodyLimit = '16kb';

export type ApiDeps = {
  orders: OrderRepository;
  messages: MessageRepository;
  apiKeys: ApiKeyRepository;
  rateLimiter: RateLimiter;
  defaultCountry: CountryCode;
  /** The customers' tracking pages, whose address each order carries (trackingUrl) when PUBLIC_URL is set. */
  tracking: TrackingRepository;
  publicUrl: string | undefined;
  /** In production a 5xx never shows its message. */
  env: 'development' | 'production' | 'test';
  /** Whether staff paused the online orders (503 for a new order for as soon as possible meanwhile). */
  intake: IntakePauseRepository;
};

/**
 * The intake API for the online shop and the till, mounted at /api. Authenticated by API key, so it
 * has no session and no CSRF token; every answer is JSON and every error problem+json.
 */
export function createApiRouter(deps: ApiDeps): Router {
  const { orders, messages, apiKeys, rateLimiter } = deps;
  const bodySchema = newOrderBody(deps.defaultCountry);
  const patchSchema = orderPatchBody(deps.defaultCountry);
  const openApiDocument = buildOpenApiDocument(bodySchema, patchSchema);
  const router = Router();

  // Answers carry orders and phone numbers, errors included: no cache, shared or private, keeps them.
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  router.use(async (req, res, next) => {
    const match = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '');
    res.set('WWW-Authenticate', 'Bearer realm="Order Desk"');
    if (!match) return sendProblem(req, res, 401, 'Send an API key in the Authorization header: "Authorization: Bearer od_live_…". Admins make keys on the API keys page.');
    const apiKey = await apiKeys.authenticate(match[1]!);
    if (!apiKey) {
      req.log.warn({ apiKeyPrefix: visiblePrefix(match[1]!) }, 'API request with an unknown or revoked key');
      return sendProblem(req, res, 401, 'This API key is unknown or has been revoked.');
    }
    res.removeHeader('WWW-Authenticate');
    res.locals.apiClient = apiKey;
    next();
  });

  router.use(async (req, res, next) => {
    const verdict = await rateLimiter.take(`api-key:${res.locals.apiClient!.id}`);
    if (verdict.allowed) return next();
    res.set('Retry-After', String(verdict.retryAfterSeconds));
    sendProblem(req, res, 429, `Too many requests with this key; try again in ${verdict.retryAfterSeconds} s.`);
  });

  // A body is JSON (a correction may say so as a JSON merge patch, RFC 7396); a POST without one (a
  // cancellation; "Content-Length: 0" as fetch sends it) has none to check.
  const jsonTypes = ['application/json', 'application/merge-patch+json'];
  router.use((req, _res, next) => {
    if ((req.method === 'POST' || req.method === 'PATCH') && req.get('content-length') !== '0' && req.is(jsonTypes) === false) {
      throw createError(415, 'Send the body as JSON, with "Content-Type: application/json".');
    }
    next();
  });
  // Not strict: a bare string or number is valid JSON, and is refused by the schema with a pointer.
  router.use(express.json({ limit: bodyLimit, strict: false, type: jsonTypes }));

  router.param('orderId', async (req: Request, res: Response, next: NextFunction, orderId: string) => {
    const order = orderIdPattern.test(orderId) ? await orders.findById(orderId) : undefined;
    if (!order) return sendProblem(req, res, 404, 'There is no order with that id.');
    res.locals.apiOrder = order;
    next();
  });

  const sendOrder = async (res: Response, status: number, order: Order) => {
    const trackingUrl = deps.publicUrl ? trackingLink(deps.publicUrl, await deps.tracking.tokenFor(order.id))! : null;
    res.status(status).location(`/api/orders/${order.id}`).json(toApiOrder(order, await orders.history(order.id), await messages.forOrder(order.id), trackingUrl));
  };

  router.post('/orders', async (req, res) => {
    const parsed = bodySchema.safeParse(req.body);
    if (!parsed.success) {
      return sendProblem(req, res, 422, 'The order is not valid; see errors for each field.', fieldProblems(parsed.error.issues));
    }
    // A time that has passed is refused for a new order, not for the retry of one already taken;
    // so is an order the kitchen cannot start now, while it has paused the online orders.
    const at = new Date();
    const taken = async () => (await orders.findByExternalId(parsed.data.externalId)) !== undefined;
    const scheduleRefusal = scheduledForProblem(parsed.data.scheduledFor, at);
    if (scheduleRefusal && !(await taken())) return sendProblem(req, res, 422, 'The order is not valid; see errors for each field.', [{ pointer: '#/scheduledFor', detail: scheduleRefusal }]);
    const pause = await deps.intake.current(at);
    // An order for later due after the pause is no work now: it still comes in.
    if (pause && !(parsed.data.scheduledFor && parsed.data.scheduledFor >= pause.until) && !(await taken())) {
      res.set('Retry-After', String(Math.max(1, Math.ceil((Date.parse(pause.until) - at.getTime()) / 1000))));
      return sendProblem(req, res, 503, `The kitchen has paused online orders until ${pause.until}: it is too busy to take more for as soon as possible. Send the order again after that (Retry-After), or as an order for later (scheduledFor) due from then on. GET /api/intake tells whether orders are open.`);
    }
    const { customer, ...rest } = parsed.data;
    const result = await orders.create({ ...rest, customerName: customer.name, phone: customer.phone, formToken: null, createdBy: null, apiKeyId: res.locals.apiClient!.id });
    if (result.outcome === 'created') {
      req.log.info({ orderId: result.order.id, number: result.order.number, externalId: result.order.externalId }, 'order received through the API');
      return sendOrder(res, 201, result.order);
    }
    if (result.sameOrder) return sendOrder(res, 200, result.order);
    res.location(`/api/orders/${result.order.id}`);
    sendProblem(req, res, 409, `An order with externalId "${result.order.externalId}" already exists with different contents. Send a new externalId for a new order.`);
  });

  // Whether the kitchen takes orders now, for the shop to say so before its customer orders.
  router.get('/intake', async (_req, res) => {
    res.json(toIntakeAnswer(await deps.intake.current()));
  });

  router.get('/orders/:orderId', async (_req, res) => {
    await sendOrder(res, 200, res.locals.apiOrder!);
  });

  // The customer changed the address or the items in the shop, or the shop got the number wrong.
  router.patch('/orders/:orderId', async (req, res) => {
    const parsed = patchSchema.safeParse(req.body);
    if (!parsed.success) return sendProblem(req, res, 422, 'The correction is not valid; see errors for each field.', fieldProblems(parsed.error.issues));
    const order = res.locals.apiOrder!;
    // A time asked for must be ahead when it changes; one the order already had may have passed.
    const problem = parsed.data.scheduledFor !== order.scheduledFor ? scheduledForProblem(parsed.data.scheduledFor, new Date()) : undefined;
    if (problem) return sendProblem(req, res, 422, 'The correction is not valid; see errors for each field.', [{ pointer: '#/scheduledFor', detail: problem }]);
    const result = (await orders.editForShop(order.id, patchedFields(parsed.data), res.locals.apiClient!.id, parsed.data.version))!;
    const current = result.order;
    if (result.outcome === 'finished') {
      return sendProblem(req, res, 409, `The order was ${current.status}; a ${current.status} order is not corrected any more.`);
    }
    if (result.outcome === 'conflict') {
      res.location(`/api/orders/${current.id}`);
      return sendProblem(req, res, 409, `The order was corrected since version "${parsed.data.version}", so nothing was saved. Read it again (its version is now "${orderDigest(current)}") and send the correction with that version.`);
    }
    if (result.outcome === 'edited') {
      req.log.info({ orderId: current.id, externalId: current.externalId, fields: result.changes.map((change) => change.field), cancelledTexts: result.cancelledTexts }, 'order corrected through the API');
    }
    await sendOrder(res, 200, current);
  });

  // The customer called it off in the shop: the order leaves the board as staff cancelling it would.
  router.post('/orders/:orderId/cancel', async (req, res) => {
    const parsed = cancelBody.safeParse(req.body ?? {});
    if (!parsed.success) return sendProblem(req, res, 422, 'Send a JSON object, empty or with a reason ({"reason": "Customer cancelled"}), to cancel an order.', fieldProblems(parsed.error.issues));
    const result = (await orders.cancelForShop(res.locals.apiOrder!.id, res.locals.apiClient!.id, parsed.data.reason))!;
    if (result.outcome === 'delivered') {
      return sendProblem(req, res, 409, `The order was delivered${result.order.deliveredAt ? ` at ${result.order.deliveredAt}` : ''}; a delivered order cannot be cancelled.`);
    }
    if (result.outcome === 'changed') req.log.info({ orderId: result.order.id, externalId: result.order.externalId, previousStatus: result.previousStatus, cancelledTexts: result.cancelledTexts }, 'order cancelled through the API');
    await sendOrder(res, 200, result.order);
  });

  router.use((req, res) => sendProblem(req, res, 404, `There is no ${req.method} ${req.originalUrl.split('?')[0]} in this API; see /api/openapi.json.`));
  router.use(problemErrorHandler(deps.env));
  return router;
}

function problemErrorHandler(env: ApiDeps['env']): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const status = createError.isHttpError(error) ? error.status : 500;
    if (status >= 500) req.log.error({ err: error }, 'API request failed');
    const type = (error as { type?: string }).type;
    let detail: string;
    if (type === 'entity.parse.failed') detail = 'The body is not valid JSON.';
    else if (type === 'entity.too.large') detail = `The body is larger than the limit of ${bodyLimit}.`;
    else if (status < 500 && createError.isHttpError(error) && error.expose) detail = error.message;
    else detail = env === 'production' ? 'Something went wrong on our side. Please try again.' : `Something went wrong on our side: ${String(error?.message ?? error)}`;
    sendProblem(req, res, status, detail);
  };
}
