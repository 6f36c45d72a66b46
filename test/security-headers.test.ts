import express from 'express';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { helmetForPolicy, securityHeaders } from '../src/web/security-headers.ts';

/** The headers an app answers GET / with, but those that change from one answer to the next. */
async function headersOf(app: express.Express, headers: Record<string, string> = {}): Promise<Record<string, string>> {
  app.get('/', (_req, res) => res.send('ok'));
  const response = await supertest(app).get('/').set(headers).expect(200);
  const changing = new Set(['date', 'etag', 'connection']);
  return Object.fromEntries(Object.entries(response.headers as Record<string, string>).filter(([name]) => !changing.has(name)));
}

function appWith(middleware: express.RequestHandler): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use(middleware);
  return app;
}

describe('security headers', () => {
  it('are exactly the ones helmet itself sends for the same policy, worked out once', async () => {
    const ours = await headersOf(appWith(securityHeaders()));
    expect(ours).toEqual(await headersOf(appWith(helmetForPolicy())));
    expect(ours['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(ours['x-content-type-options']).toBe('nosniff');
    expect(ours['strict-transport-security']).toBeUndefined();
  });

  it('add Strict-Transport-Security only to answers over HTTPS', async () => {
    const overHttps = await headersOf(appWith(securityHeaders()), { 'x-forwarded-proto': 'https' });
    expect(overHttps['strict-transport-security']).toBe('max-age=31536000');
    expect(overHttps['content-security-policy']).toContain("default-src 'self'");
  });
});
