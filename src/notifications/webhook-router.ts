import { Router } from 'express';
import type { Request } from 'express';
import { createSecretKey } from 'node:crypto';
import { createRequire } from 'node:module';
import type { MessageRepository } from './message-repository.ts';

// The SDK's verify() is only published as CommonJS without an exports map.
type VerifyOptions = { jwtVerifyOptions: { currentDate?: Date } };
const { verify, VerifyOptions, SIGNATURE_HEADER_NAME } = createRequire(import.meta.url)('messagebird/lib/webhook-signature-jwt') as {
  verify: (url: string, payload: Buffer | null, jwt: string, key: ReturnType<typeof createSecretKey>, options?: VerifyOptions) => Promise<unknown>;
  VerifyOptions: new () => VerifyOptions;
  SIGNATURE_HEADER_NAME: string;
};

/**
 * Checks a MessageBird-Signature-JWT against the signing key, the exact URL called and the raw body;
 * rejects when it does not hold. `at` sets the clock, for MessageBird's reference vectors.
 */
export function createSignatureCheck(signingKey: string) {
  const key = createSecretKey(Buffer.from(signingKey, 'utf8'));
  return async (url: string, payload: Buffer, token: string, at?: Date): Promise<void> => {
    const options = new VerifyOptions();
    if (at) options.jwtVerifyOptions.currentDate = at;
    await verify(url, payload, token, key, options);
  };
}

/**
 * The URL MessageBird signed: the configured public URL when there is one, else as this request
 * arrived (scheme and host from proxy headers only when TRUST_PROXY trusts them).
 */
export function signedUrlOf(req: Request, publicUrl: string | undefined): string {
  return publicUrl
    ? `${publicUrl.replace(/\/+$/, '')}${req.originalUrl}`
    : `${req.protocol}://${req.get('host')}${req.originalUrl}`;
}

/** The header MessageBird signs its webhooks in. */
export const signatureHeader = SIGNATURE_HEADER_NAME;

export const deliveryReportPath = '/webhooks/messagebird/status';

/**
 * MessageBird's delivery reports. Each request is signed with a JWT over the exact URL it called;
 * we check it ourselves with the SDK's verify() because the SDK's Express middleware (4.0.1) calls
 * next() without waiting for the check.
 */
export function createWebhookRouter(deps: { messages: MessageRepository; signingKey: string | undefined; publicUrl: string | undefined }): Router {
  const router = Router();
  const checkSignature = deps.signingKey ? createSignatureCheck(deps.signingKey) : undefined;

  const signedUrl = (req: Request) => signedUrlOf(req, deps.publicUrl);

  router.get(deliveryReportPath, async (req, res) => {
    if (!checkSignature) {
      req.log.error('delivery report refused: MESSAGEBIRD_SIGNING_KEY is not set');
      return res.status(503).type('text').send('Delivery reports are not configured on this server.');
    }
    const token = req.get(SIGNATURE_HEADER_NAME);
    if (!token) return res.status(401).type('text').send('Missing MessageBird-Signature-JWT header.');
    try {
      await checkSignature(signedUrl(req), Buffer.alloc(0), token);
    } catch (error) {
      req.log.warn({ reason: (error as Error).message }, 'delivery report refused: bad signature');
      return res.status(401).type('text').send('Invalid signature.');
    }

    const query = req.query as Record<string, unknown>;
    const text = (name: string) => (typeof query[name] === 'string' && query[name] !== '' ? (query[name] as string) : undefined);
    const status = text('status');
    if (!status || (!text('reference') && !text('id'))) {
      return res.status(400).type('text').send('A report needs a status and a reference or id.');
    }
    const errorCode = text('statusErrorCode');
    const outcome = await deps.messages.applyReport({
      reference: text('reference'),
      providerMessageId: text('id'),
      status,
      statusAt: text('statusDatetime'),
      reason: text('statusReason'),
      errorCode: errorCode && /^\d+$/.test(errorCode) ? Number(errorCode) : undefined,
    });
    if (outcome === 'unknown-status') req.log.warn({ reference: text('reference'), id: text('id'), status }, 'delivery report ignored: unknown status');
    else req.log.info({ reference: text('reference'), id: text('id'), status, outcome }, 'delivery report');
    // Acknowledge even unknown messages, or MessageBird keeps retrying a report we can never use.
    res.type('text').send('OK');
  });

  return router;
}
