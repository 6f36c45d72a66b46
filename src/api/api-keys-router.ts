import { Router } from 'express';
import type { Response } from 'express';
import createError from 'http-errors';
import { z } from 'zod';
import { setFlash } from '../web/flash.ts';
import { deliveryStateLabels } from '../webhooks/webhook-repository.ts';
import type { Delivery, WebhookRepository } from '../webhooks/webhook-repository.ts';
import { apiKeyNamePattern, apiKeyNameRule } from './api-key-repository.ts';
import type { ApiKey, ApiKeyRepository } from './api-key-repository.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    apiKey?: ApiKey;
  }
}

const newKeyForm = z.object({
  name: z.string({ error: 'Enter a name for the key.' }).trim().regex(apiKeyNamePattern, `The name ${apiKeyNameRule}.`),
});

export const webhookUrlMaxLength = 500;

/** Where a shop's status updates go: an http(s) address of its own server. */
const webhookForm = z.object({
  url: z.string({ error: 'Enter the address of the shop’s server that takes status updates.' }).trim()
    .min(1, 'Enter the address of the shop’s server that takes status updates.')
    .max(webhookUrlMaxLength, `Keep the address to ${webhookUrlMaxLength} characters.`)
    .superRefine((value, context) => {
      const problem = webhookUrlProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
});

function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'That is not a web address: write it in full, e.g. https://shop.example/hooks/order-desk.';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'The address must start with https:// (or http:// on the restaurant’s own network).';
  // The signature proves who sent an update; a password in the address would show on this page
  // and in every log on the way.
  if (url.username || url.password) return 'Leave the user name and password out of the address: each update is signed with the key’s secret instead.';
  if (url.hash) return 'Leave the #… part out of the address: it is never sent to the server.';
  return undefined;
}

const deliveryIdPattern = /^\d{1,15}$/;

/** What the page shows of a key's status updates. */
type KeyWebhooks = { summary: Awaited<ReturnType<WebhookRepository['summary']>>; latest: Delivery[] };

/** The admin page where keys for the intake API are made, named and revoked. */
export function createApiKeysRouter(deps: { apiKeys: ApiKeyRepository; webhooks: WebhookRepository }): Router {
  const { apiKeys, webhooks } = deps;
  const router = Router();
  router.use('/api-keys', (_req, res, next) => {
    if (res.locals.currentStaff?.role !== 'admin') throw createError(403, 'Only an admin can manage API keys.');
    next();
  });

  router.param('apiKeyId', async (_req, res, next, value: string) => {
    const apiKey = /^\d{1,12}$/.test(value) ? await apiKeys.findById(Number(value)) : undefined;
    if (!apiKey) throw createError(404, 'There is no API key with that id.');
    res.locals.apiKey = apiKey;
    next();
  });

  type PageForm = {
    name?: string; error?: string; created?: { name: string; key: string };
    /** A refused address, shown again by its key's form with the reason. */
    webhook?: { apiKeyId: number; url: string; error: string };
    /** A signing secret just made: shown in this answer only. */
    secret?: { apiKeyId: number; name: string; secret: string };
  };
  const renderPage = async (res: Response, form: PageForm = {}) => {
    const list = await apiKeys.list();
    const hooks = new Map<number, KeyWebhooks>();
    for (const apiKey of list) {
      if (apiKey.revokedAt) continue;
      hooks.set(apiKey.id, { summary: await webhooks.summary(apiKey.id), latest: await webhooks.latest(apiKey.id, 5) });
    }
    // A page that shows a secret must not be kept by the browser's cache either.
    if (form.secret) res.set('Cache-Control', 'no-store');
    res.render('api-keys', { title: 'API keys', apiKeys: list, hooks, form, deliveryStateLabels, webhookUrlMaxLength });
  };

  router.get('/api-keys', (_req, res) => renderPage(res));

  router.post('/api-keys', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = typeof body.name === 'string' ? body.name.slice(0, 100) : '';
    const parsed = newKeyForm.safeParse(body);
    if (!parsed.success) return renderPage(res.status(400), { name: typed, error: parsed.error.issues[0]!.message });
    const created = await apiKeys.create({ name: parsed.data.name, createdBy: res.locals.currentStaff!.id });
    if (!created) return renderPage(res.status(409), { name: typed, error: `An active key is already named ${parsed.data.name}; revoke it first or choose another name.` });
    req.log.info({ by: res.locals.currentStaff!.id, apiKeyName: created.apiKey.name, apiKeyPrefix: created.apiKey.prefix }, 'API key created');
    // The key is shown in this answer only: it is not stored, so no redirect could show it again.
    res.set('Cache-Control', 'no-store');
    await renderPage(res.status(201), { created: { name: created.apiKey.name, key: created.key } });
  });

  router.post('/api-keys/:apiKeyId/revoke', async (req, res) => {
    const apiKey = res.locals.apiKey!;
    if (await apiKeys.revoke(apiKey.id)) {
      const cancelledUpdates = await webhooks.cancelForRevokedKey(apiKey.id);
      req.log.info({ by: res.locals.currentStaff!.id, apiKeyName: apiKey.name, apiKeyPrefix: apiKey.prefix, cancelledUpdates }, 'API key revoked');
      setFlash(req, { kind: 'success', message: `API key ${apiKey.name} is revoked; requests with it are refused from now on.` });
    } else {
      setFlash(req, { kind: 'info', message: `API key ${apiKey.name} was already revoked.` });
    }
    res.redirect(303, '/api-keys');
  });

  // Status updates (webhooks) of an active key: a revoked key's page shows no such forms.
  const activeKey = (res: Response) => {
    const apiKey = res.locals.apiKey!;
    if (apiKey.revokedAt) throw createError(409, `API key ${apiKey.name} is revoked; make a new key for the shop first.`);
    return apiKey;
  };
  const back = (apiKey: ApiKey) => `/api-keys#key-${apiKey.id}`;

  router.post('/api-keys/:apiKeyId/webhook', async (req, res) => {
    const apiKey = activeKey(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const parsed = webhookForm.safeParse(body);
    if (!parsed.success) {
      const typed = typeof body.url === 'string' ? body.url.slice(0, webhookUrlMaxLength + 100) : '';
      return renderPage(res.status(400), { webhook: { apiKeyId: apiKey.id, url: typed, error: parsed.error.issues[0]!.message } });
    }
    const set = await webhooks.setUrl(apiKey.id, parsed.data.url);
    if (!set) throw createError(409, `API key ${apiKey.name} was revoked meanwhile.`);
    req.log.info({ by: res.locals.currentStaff!.id, apiKeyName: apiKey.name, webhookUrl: parsed.data.url, newSecret: Boolean(set.newSecret) }, 'status updates address set');
    if (set.newSecret) return renderPage(res, { secret: { apiKeyId: apiKey.id, name: apiKey.name, secret: set.newSecret } });
    setFlash(req, { kind: 'success', message: `Status updates for ${apiKey.name} now go to ${parsed.data.url}, signed with the same secret.` });
    res.redirect(303, back(apiKey));
  });

  router.post('/api-keys/:apiKeyId/webhook/off', async (req, res) => {
    const apiKey = activeKey(res);
    const cancelled = await webhooks.turnOff(apiKey.id);
    req.log.info({ by: res.locals.currentStaff!.id, apiKeyName: apiKey.name, cancelled }, 'status updates turned off');
    setFlash(req, { kind: 'success', message: `Status updates for ${apiKey.name} are off${cancelled ? `; ${cancelled} still waiting will not be sent` : ''}.` });
    res.redirect(303, back(apiKey));
  });

  router.post('/api-keys/:apiKeyId/webhook/secret', async (req, res) => {
    const apiKey = activeKey(res);
    const secret = await webhooks.rotateSecret(apiKey.id);
    if (!secret) {
      setFlash(req, { kind: 'error', message: `API key ${apiKey.name} sends no status updates; give it an address first.` });
      return res.redirect(303, back(apiKey));
    }
    req.log.info({ by: res.locals.currentStaff!.id, apiKeyName: apiKey.name }, 'status updates signing secret replaced');
    await renderPage(res, { secret: { apiKeyId: apiKey.id, name: apiKey.name, secret } });
  });

  router.post('/api-keys/:apiKeyId/webhook/test', async (req, res) => {
    const apiKey = activeKey(res);
    if (await webhooks.sendTest(apiKey.id, apiKey.name)) {
      setFlash(req, { kind: 'success', message: `A test update for ${apiKey.name} is on its way; its answer shows below in a moment (reload).` });
    } else {
      setFlash(req, { kind: 'error', message: `API key ${apiKey.name} sends no status updates; give it an address first.` });
    }
    res.redirect(303, back(apiKey));
  });

  router.post('/api-keys/:apiKeyId/deliveries/:deliveryId/send-again', async (req, res) => {
    const apiKey = activeKey(res);
    const { deliveryId } = req.params as { deliveryId: string };
    if (!deliveryIdPattern.test(deliveryId)) throw createError(404, 'There is no such status update.');
    if (await webhooks.sendAgain(apiKey.id, Number(deliveryId))) {
      setFlash(req, { kind: 'success', message: 'The status update is on its way again.' });
    } else {
      setFlash(req, { kind: 'info', message: 'That status update was not waiting to be sent again (delivered, already on its way, or not this key’s).' });
    }
    res.redirect(303, back(apiKey));
  });

  return router;
}
