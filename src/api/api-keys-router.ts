import { Router } from 'express';
import type { Response } from 'express';
import createError from 'http-errors';
import { z } from 'zod';
import { setFlash } from '../web/flash.ts';
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

/** The admin page where keys for the intake API are made, named and revoked. */
export function createApiKeysRouter(deps: { apiKeys: ApiKeyRepository }): Router {
  const { apiKeys } = deps;
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

  const renderPage = async (res: Response, form: { name?: string; error?: string; created?: { name: string; key: string } } = {}) =>
    res.render('api-keys', { title: 'API keys', apiKeys: await apiKeys.list(), form });

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
      req.log.info({ by: res.locals.currentStaff!.id, apiKeyName: apiKey.name, apiKeyPrefix: apiKey.prefix }, 'API key revoked');
      setFlash(req, { kind: 'success', message: `API key ${apiKey.name} is revoked; requests with it are refused from now on.` });
    } else {
      setFlash(req, { kind: 'info', message: `API key ${apiKey.name} was already revoked.` });
    }
    res.redirect(303, '/api-keys');
  });

  return router;
}
