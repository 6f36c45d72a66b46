import express, { Router } from 'express';
import type { ErrorRequestHandler, Request } from 'express';
import createError from 'http-errors';
import type { CountryCode } from 'libphonenumber-js/max';
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseMobileNumber } from '../orders/phone-number.ts';
import { readKeyword } from './opt-out-keywords.ts';
import type { OptOutRepository } from './opt-out-repository.ts';
import type { ReplyRepository } from './reply-repository.ts';
import { createSignatureCheck, signatureHeader, signedUrlOf } from './webhook-router.ts';

export const inboundPathPrefix = '/webhooks/messagebird/inbound';

/** The address as the request log shows it: the secret token (and anything after it) is left out. */
export function withoutInboundToken(url: string): string {
  return url.startsWith(`${inboundPathPrefix}/`) ? `${inboundPathPrefix}/[token]` : url;
}

// A long SMS (ten parts of emoji) with Flow Builder's other fields fits well within this.
const bodyLimit = '16kb';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Compares hashes of both sides, so neither the content nor the length of the secret leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

type InboundText = { originator: string; payload: string; providerMessageId: string | undefined };

/** Reads `originator`, `payload` and `id` from a form-encoded or JSON body; throws a 4xx saying what is wrong. */
function readInbound(req: Request, body: Buffer): InboundText {
  let fields: Map<string, unknown>;
  if (req.is('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(body.toString('utf8'));
    fields = new Map();
    for (const name of ['originator', 'payload', 'id']) {
      const values = form.getAll(name);
      fields.set(name, values.length > 1 ? values : values[0]);
    }
  } else if (req.is('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw createError(400, 'The body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw createError(400, 'The body must be a JSON object.');
    // Map, not the parsed object: a body's "__proto__" or "constructor" must not be read as a field.
    fields = new Map(Object.entries(parsed));
  } else {
    throw createError(415, 'Send the message as application/x-www-form-urlencoded or application/json.');
  }
  const originator = fields.get('originator');
  const payload = fields.get('payload');
  // MessageBird may send the number as a JSON number.
  const originatorText = typeof originator === 'number' && Number.isSafeInteger(originator) ? String(originator) : originator;
  if (typeof originatorText !== 'string' || originatorText.trim() === '') throw createError(400, 'The message needs an originator: the sender’s number, as text.');
  if (typeof payload !== 'string') throw createError(400, 'The message needs a payload: the text the customer sent.');
  // MessageBird's id of the message, when the flow forwards it: a retried call is then kept once.
  // Anything else in its place is not an id and is left out.
  const id = fields.get('id');
  const providerMessageId = typeof id === 'string' && /^[\w-]{1,100}$/.test(id) ? id : undefined;
  return { originator: originatorText.trim(), payload, providerMessageId };
}

/**
 * Replies from customers, forwarded by a MessageBird Flow Builder flow ("Forward to URL", POST):
 * every text from a mobile number is kept for the kitchen, on the order it answers (a customer who
 * writes CANCEL may mean the order, not only the texts); STOP and its siblings also opt the
 * sender's number out, START and UNSTOP opt it back in. The secret
 * token in the address authenticates the call; a valid MessageBird-Signature-JWT over the URL and
 * the body does too. Without a configured token the address does not exist (404). Anything a real
 * customer can send answers 200, so MessageBird does not retry it; only malformed calls get a 4xx.
 */
export function createInboundRouter(deps: {
  optOuts: OptOutRepository;
  replies: ReplyRepository;
  token: string | undefined;
  signingKey: string | undefined;
  publicUrl: string | undefined;
  defaultCountry: CountryCode;
}): Router {
  const router = Router();
  const checkSignature = deps.signingKey ? createSignatureCheck(deps.signingKey) : undefined;

  const authentic = async (req: Request, body: Buffer): Promise<boolean> => {
    const given = typeof req.params.token === 'string' ? req.params.token : '';
    if (deps.token && sameSecret(given, deps.token)) return true;
    const jwt = req.get(signatureHeader);
    if (!jwt || !checkSignature) return false;
    try {
      await checkSignature(signedUrlOf(req, deps.publicUrl), body, jwt);
      return true;
    } catch (error) {
      req.log.warn({ reason: (error as Error).message }, 'inbound message refused: bad signature');
      return false;
    }
  };

  router.post(
    `${inboundPathPrefix}{/:token}`,
    (_req, _res, next) => next(deps.token ? undefined : createError(404, 'There is no page at this address.')),
    express.raw({ type: () => true, limit: bodyLimit }),
    async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!(await authentic(req, body))) {
        req.log.warn('inbound message refused: wrong token and no valid signature');
        return res.status(401).type('text').send('Unknown token and no valid MessageBird-Signature-JWT.');
      }
      const { originator, payload, providerMessageId } = readInbound(req, body);
      // MessageBird sends the number in international form without the '+' (31612345678).
      const phone = /^\+?\d{6,15}$/.test(originator) ? parseMobileNumber(`+${originator.replace(/^\+/, '')}`, deps.defaultCountry) : undefined;
      if (!phone?.ok) {
        req.log.warn({ originator }, 'inbound message ignored: the sender is not a mobile number');
        return res.type('text').send('OK: the originator is not a mobile number; ignored.');
      }
      const text = payload.trim();
      if (text === '') {
        req.log.info({ phone: phone.e164 }, 'inbound message ignored: empty');
        return res.type('text').send('OK: empty; ignored.');
      }
      const kept = await deps.replies.receive({ phone: phone.e164, body: text, providerMessageId });
      if (kept.duplicate) req.log.info({ replyId: kept.reply.id, providerMessageId }, 'inbound message already received');
      else req.log.info({ replyId: kept.reply.id, orderId: kept.reply.orderId, length: text.length }, 'customer replied');
      const meaning = readKeyword(text);
      // A repeated keyword is acted on again (both are idempotent): the first call may have kept
      // the reply and then failed before the opt-out.
      if (!meaning) return res.type('text').send(kept.duplicate ? 'OK: already received.' : 'OK');
      const how = { source: 'keyword' as const, keyword: meaning.keyword };
      if (meaning.optOut) {
        const { changed, cancelled } = await deps.optOuts.optOut(phone.e164, how);
        req.log.info({ phone: phone.e164, keyword: meaning.keyword, changed, cancelled }, 'customer opted out');
      } else {
        const { changed } = await deps.optOuts.optIn(phone.e164, how);
        req.log.info({ phone: phone.e164, keyword: meaning.keyword, changed }, 'customer opted back in');
      }
      res.type('text').send('OK');
    },
  );

  // Plain text for MessageBird's logs, not the staff's error page: 413 for a huge body, the 4xx above.
  const answerInText: ErrorRequestHandler = (error, req, res, next) => {
    if (!createError.isHttpError(error) || error.status >= 500) return next(error);
    req.log.info({ status: error.status, reason: error.message }, 'inbound message refused');
    res.status(error.status).type('text').send(error.expose ? error.message : 'Bad request.');
  };
  router.use(inboundPathPrefix, answerInText);

  return router;
}
