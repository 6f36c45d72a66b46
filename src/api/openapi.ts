import { z } from 'zod';
import type { ZodType } from 'zod';
import { apiOrder, cancelBody } from './order-resource.ts';
import { intakeAnswer } from './intake-resource.ts';
import { problemSchema } from './problem.ts';
import { intakePausedEvent, intakeResumedEvent, orderCorrectedEvent, statusChangedEvent, testEvent } from '../webhooks/webhook-events.ts';
import { retryWaitsMs, webhookTimeoutMs } from '../webhooks/webhook-sender.ts';

/** JSON Schema (draft 2020-12, which OpenAPI 3.1 uses) of a zod schema, as a component. */
function component(schema: ZodType, io: 'input' | 'output') {
  const jsonSchema = z.toJSONSchema(schema, { io, target: 'draft-2020-12' }) as Record<string, unknown>;
  // The document as a whole declares the dialect; components do not repeat it.
  delete jsonSchema.$schema;
  return jsonSchema;
}

const problem = (description: string, extraHeaders: Record<string, unknown> = {}) => ({
  description,
  headers: extraHeaders,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const orderAnswer = (description: string) => ({
  description,
  headers: { Location: { description: 'Address of the order', schema: { type: 'string', examples: ['/api/orders/3f6c0d1e9b7a4c2d8e5f6a7b8c9d0e1f'] } } },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
});

const webhookHeaders = {
  'webhook-id': { description: 'The event’s id: the same on every attempt. Drop an event whose id you have seen.', schema: { type: 'string', examples: ['evt_5f2b0c9e8d7a4b1c9e3f2a1b0c9d8e7f'] } },
  'webhook-timestamp': { description: 'When this attempt was made, in seconds since 1970 (refuse one more than 5 minutes off your clock)', schema: { type: 'string' } },
  'webhook-signature': { description: '"v1," and the base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}" under the key’s signing secret (the bytes of its base64 after "whsec_"); verify it with a Standard Webhooks library (https://www.standardwebhooks.com/)', schema: { type: 'string' } },
};

/** "5 s, 5 min and 2 h". */
function listOfWaits(waits: readonly number[]): string {
  const texts = waits.map((ms) => (ms >= 3_600_000 ? `${ms / 3_600_000} h` : ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`));
  return texts.length > 1 ? `${texts.slice(0, -1).join(', ')} and ${texts.at(-1)}` : texts.join('');
}

function webhook(type: string, summary: string, description: string, schema: string) {
  return {
    post: {
      summary,
      description: `${description} An answer other than 2xx within ${webhookTimeoutMs / 1000} seconds (a redirect included: none is followed) is retried after ${listOfWaits(retryWaitsMs)} (${retryWaitsMs.length + 1} attempts), then shown as given up on the API keys page, where an admin can send it again.`,
      parameters: Object.entries(webhookHeaders).map(([name, header]) => ({ name, in: 'header', required: true, ...header })),
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } } },
      responses: { '2XX': { description: `The shop has the ${type} event` } },
    },
  };
}

/** The OpenAPI 3.1 description served at /api/openapi.json, built from the schemas the API validates with. */
export function buildOpenApiDocument(newOrderBody: ZodType, orderPatchBody: ZodType) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Order Desk intake API',
      version: '1.0.0',
      description: 'Lets an online shop or a till send orders to the kitchen board. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    paths: {
      '/api/orders': {
        post: {
          operationId: 'createOrder',
          summary: 'Send an order to the kitchen',
          description: 'Idempotent on externalId: the same body again answers 200 with the existing order, a different body 409.',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewOrder' } } } },
          responses: {
            201: orderAnswer('The order was created'),
            200: orderAnswer('An order with this externalId and the same contents already existed'),
            400: problem('The body is not valid JSON'),
            401: problem('No API key, or an unknown or revoked one'),
            409: problem('An order with this externalId exists with different contents'),
            413: problem('The body is larger than 16 kB'),
            415: problem('The body is not application/json'),
            422: problem('The order is not valid; errors names each field'),
            429: problem('Too many requests with this key', { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } }),
            503: problem('The kitchen has paused online orders (too busy): a new order for as soon as possible, or for later but due before the pause ends, is refused until then. A retry of an order already taken still answers 200.', { 'Retry-After': { description: 'Seconds until the pause ends', schema: { type: 'integer' } } }),
          },
        },
      },
      '/api/intake': {
        get: {
          operationId: 'getIntake',
          summary: 'Whether the kitchen takes online orders now',
          description: 'Staff pause the online orders when the kitchen is swamped. Ask before the customer orders, to tell them; the intake.paused and intake.resumed status updates say the same as it happens.',
          responses: {
            200: { description: 'Open, or paused until a time', content: { 'application/json': { schema: { $ref: '#/components/schemas/Intake' } } } },
            401: problem('No API key, or an unknown or revoked one'),
            429: problem('Too many requests with this key', { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } }),
          },
        },
      },
      '/api/orders/{orderId}': {
        get: {
          operationId: 'getOrder',
          summary: 'An order with its status history and messages to the customer',
          parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } }],
          responses: {
            200: orderAnswer('The order'),
            401: problem('No API key, or an unknown or revoked one'),
            404: problem('There is no order with that id'),
            429: problem('Too many requests with this key', { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } }),
          },
        },
        patch: {
          operationId: 'correctOrder',
          summary: 'Correct an order: the customer, the delivery address, the items, the note or the time asked for',
          description: 'Only the fields sent change (a JSON merge patch, RFC 7396: null clears the address, the note or the time asked for; items replace the whole list). The kitchen sees the correction at once, on the board and in the order\'s corrections, naming the API key. A new phone number stops the texts still queued to the old one. Send the order\'s version as read to refuse overwriting a correction made since (409). A new time asked for must still be ahead (422); one the order already had may have passed. A delivered or cancelled order is not corrected (409). Sending what the order already holds changes nothing and answers 200.',
          parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } }],
          requestBody: {
            required: true,
            content: {
              'application/merge-patch+json': { schema: { $ref: '#/components/schemas/Correction' } },
              'application/json': { schema: { $ref: '#/components/schemas/Correction' } },
            },
          },
          responses: {
            200: orderAnswer('The order as corrected'),
            400: problem('The body is not valid JSON'),
            401: problem('No API key, or an unknown or revoked one'),
            404: problem('There is no order with that id'),
            409: problem('The order was delivered or cancelled, or was corrected since the version sent'),
            413: problem('The body is larger than 16 kB'),
            415: problem('The body is not JSON'),
            422: problem('The correction is not valid; errors names each field'),
            429: problem('Too many requests with this key', { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } }),
          },
        },
      },
      '/api/orders/{orderId}/cancel': {
        post: {
          operationId: 'cancelOrder',
          summary: 'Cancel an order the customer called off in the shop',
          description: 'The order leaves the kitchen board as cancelled; texts still queued to the customer about it are not sent, and the customer is not texted (the shop tells them). An optional reason shows on the board and in the day\'s record. Idempotent: an order already cancelled answers 200 as it is (its reason unchanged). A delivered order is not cancelled (409).',
          parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } }],
          requestBody: { required: false, content: { 'application/json': { schema: { $ref: '#/components/schemas/Cancel' } } } },
          responses: {
            200: orderAnswer('The order, now cancelled'),
            401: problem('No API key, or an unknown or revoked one'),
            404: problem('There is no order with that id'),
            409: problem('The order was delivered'),
            415: problem('A body was sent that is not application/json'),
            422: problem('The body is not an empty JSON object'),
            429: problem('Too many requests with this key', { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } }),
          },
        },
      },
    },
    // Status updates posted to the address an admin gives the API key (the API keys page).
    webhooks: {
      orderStatusChanged: webhook('order.status_changed', 'An order the shop sent changed status',
        'Posted for every status change after the order came in (confirmed, delayed, delivered, cancelled, and back), whoever made it: staff, or the shop through this API.', 'StatusChangedEvent'),
      orderCorrected: webhook('order.corrected', 'An order the shop sent was corrected', 'Posted for every correction of the order’s customer, address, items, note or time asked for, whoever made it: staff (the customer called the kitchen), or the shop through this API. It names each field changed, before and after, and the order’s new version.', 'OrderCorrectedEvent'),
      intakePaused: webhook('intake.paused', 'The kitchen paused the online orders', 'Posted to every key with an address when staff pause the online orders (or pause them for longer).', 'IntakePausedEvent'),
      intakeResumed: webhook('intake.resumed', 'The kitchen opened the online orders again', 'Posted to every key with an address when staff end a pause early. A pause that runs out by itself (at pausedUntil) sends nothing.', 'IntakeResumedEvent'),
      webhookTest: webhook('webhook.test', 'A test from the API keys page', 'Sent when an admin presses Send a test update.', 'TestEvent'),
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key made by an admin, starting with od_live_' } },
      schemas: {
        NewOrder: component(newOrderBody, 'input'),
        Correction: component(orderPatchBody, 'input'),
        Cancel: component(cancelBody, 'input'),
        Order: component(apiOrder, 'output'),
        Problem: component(problemSchema, 'output'),
        StatusChangedEvent: component(statusChangedEvent, 'output'),
        TestEvent: component(testEvent, 'output'),
        OrderCorrectedEvent: component(orderCorrectedEvent, 'output'),
        IntakePausedEvent: component(intakePausedEvent, 'output'),
        IntakeResumedEvent: component(intakeResumedEvent, 'output'),
        Intake: component(intakeAnswer, 'output'),
      },
    },
  };
}
