import express from 'express';
import { Writable } from 'node:stream';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { useAccessLog } from '../src/web/access-log.ts';

function collected() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger('info', { destination: stream }), lines };
}

/** A small app with the access log and a few routes that log, fail or never answer. */
function appLogging() {
  const logs = collected();
  const app = express();
  // Express's own error handler stays quiet (it prints stacks outside the test environment).
  app.set('env', 'test');
  useAccessLog(app, logs.logger, {
    skip: (req) => req.url === '/healthz',
    address: (url) => url.replace(/token=[^&]*/, 'token=…'),
    extra: (res) => (res.locals.client ? { client: res.locals.client } : undefined),
  });
  app.get('/healthz', (_req, res) => { res.send('ok'); });
  app.get('/logs', (req, res) => {
    req.log.info({ password: 'hunter2hunter2', form: { password: 'swordfish-1234' } }, 'a handler wrote this');
    res.locals.client = 'od_live_abc';
    res.send('done');
  });
  app.get('/fails', () => { throw new Error('boom'); });
  app.get('/hangs', () => {});
  return { app, lines: logs.lines };
}

describe('the access log', () => {
  it('writes one line per request: id, method, address without its secret, status and time', async () => {
    const { app, lines } = appLogging();
    await request(app).get('/logs?token=secret-token&x=1').expect(200);
    await request(app).get('/logs').expect(200);
    const completed = lines.filter((line) => line.msg === 'request completed');
    expect(completed).toHaveLength(2);
    expect(completed[0]).toMatchObject({ level: 30, req: { method: 'GET', url: '/logs?token=…&x=1' }, res: { statusCode: 200 }, client: 'od_live_abc' });
    expect(completed[0]!.responseTime).toEqual(expect.any(Number));
    expect((completed[1]!.req as { id: number }).id).toBe((completed[0]!.req as { id: number }).id + 1);
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });

  it('ties what a handler logs to its request, still without secrets at any depth', async () => {
    const { app, lines } = appLogging();
    await request(app).get('/logs').expect(200);
    const handlerLine = lines.find((line) => line.msg === 'a handler wrote this')!;
    const accessLine = lines.find((line) => line.msg === 'request completed')!;
    expect(handlerLine.req).toEqual(accessLine.req);
    expect(JSON.stringify(lines)).not.toMatch(/hunter2hunter2|swordfish-1234/);
  });

  it('writes a request that failed with a 5xx at error level', async () => {
    const { app, lines } = appLogging();
    await request(app).get('/fails').expect(500);
    expect(lines.find((line) => line.msg === 'request completed')).toMatchObject({ level: 50, res: { statusCode: 500 } });
  });

  it('says so when the client went away before the answer', async () => {
    const { app, lines } = appLogging();
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const controller = new AbortController();
    server.once('request', () => setImmediate(() => controller.abort()));
    await fetch(`http://127.0.0.1:${port}/hangs`, { signal: controller.signal }).catch(() => undefined);
    await expect.poll(() => lines.find((line) => line.msg === 'request aborted')).toMatchObject({ req: { url: '/hangs' } });
    server.closeAllConnections();
    server.close();
  });

  it('writes no line for the health check', async () => {
    const { app, lines } = appLogging();
    await request(app).get('/healthz').expect(200);
    expect(lines).toEqual([]);
  });
});
