import type { IncomingMessage } from 'node:http';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApiKeyRepository } from '../src/api/api-key-repository.ts';
import { createTestApp, FakeSmsSender, makeOrder } from './support/helpers.ts';
import { routesOf } from './support/routes.ts';
import type { Route } from './support/routes.ts';

const stateChanging = (route: Route) => !['GET', 'HEAD', 'OPTIONS'].includes(route.method);

// Routes reachable without a session, each for a stated reason (the delivery-report webhook carries a
// signed JWT, the inbound one a secret token in its address or a signed JWT — see opt-out.test.ts;
// the API's description is public so shop and till developers can read it; a customer's tracking
// page is reached by the unguessable token a text gave them — see tracking.test.ts).
const publicRoutes = new Set(['GET /login', 'POST /login', 'GET /healthz', 'GET /webhooks/messagebird/status', 'POST /webhooks/messagebird/inbound{/:token}', 'GET /api/openapi.json', 'GET /t/:token']);
// The intake API authenticates by API key instead of a session, and has no CSRF token: see 'every API route'.
const apiRoute = (route: Route) => route.path.startsWith('/api/');
const sessionRoute = (route: Route) => !apiRoute(route) && !publicRoutes.has(`${route.method} ${route.path}`);

async function setup() {
  const sender = new FakeSmsSender();
  const context = await createTestApp({ sender });
  await context.orders.insert(makeOrder({ id: '00000000000000000000000000000001', status: 'pending' }));
  const admin = await context.signIn('boss', 'admin');
  const cook = await context.addAccount('cook');
  const fill = (path: string) => path.replace(':orderId', '00000000000000000000000000000001').replace(':staffId', String(cook.id)).replace(':status', 'delayed');
  const snapshot = () => JSON.stringify([
    context.database.sqlite.prepare('SELECT * FROM orders').all(),
    context.database.sqlite.prepare('SELECT * FROM order_status_changes').all(),
    context.database.sqlite.prepare('SELECT * FROM messages').all(),
    context.database.sqlite.prepare('SELECT id, username, password_hash, role, disabled_at FROM staff').all(),
    context.database.sqlite.prepare('SELECT * FROM message_template_versions').all(),
  ]);
  const fields = { status: 'confirmed', username: 'newcook', password: 'a long enough new password', role: 'staff', text: 'Hi {name}' };
  return { ...context, sender, admin, fill, snapshot, fields };
}

describe('every state-changing route', () => {
  it('is found in the route table', async () => {
    const { app } = await setup();
    const changing = routesOf(app).filter(stateChanging).map((route) => `${route.method} ${route.path}`);
    expect(changing).toEqual(expect.arrayContaining(['POST /orders/:orderId/status', 'POST /orders/:orderId/notify', 'POST /orders/new', 'POST /logout', 'POST /staff']));
    // Routers entered only for their own addresses (app.ts, onlyUnder) are in the table too.
    const all = routesOf(app).map((route) => `${route.method} ${route.path}`);
    expect(all).toEqual(expect.arrayContaining(['GET /orders/new', 'GET /webhooks/messagebird/status', 'POST /webhooks/messagebird/inbound{/:token}']));
  });

  it('sends a request without a session to sign in, with a valid CSRF token, and changes nothing', async () => {
    const { app, anonymous, fill, snapshot, fields, sender } = await setup();
    const routes = routesOf(app).filter(stateChanging).filter(sessionRoute);
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      const before = snapshot();
      // The token the login page hands out passes the CSRF check, so only the session guard stands.
      const client = anonymous();
      await client.refreshToken('/login');
      const response = await client.agent[route.method.toLowerCase() as 'post'](fill(route.path)).type('form').send({ ...fields, _csrf: client.token });
      expect(response.status, `${route.method} ${route.path} answered ${response.status}`).toBe(303);
      expect(response.headers.location).toMatch(/^\/login/);
      expect(snapshot(), `${route.method} ${route.path} changed data`).toBe(before);
    }
    expect(sender.sent).toHaveLength(0);
  });

  it('refuses a signed-in request without a valid CSRF token and changes nothing', async () => {
    const { app, admin, fill, snapshot, fields, sender } = await setup();
    const routes = routesOf(app).filter(stateChanging).filter((route) => !apiRoute(route));
    for (const route of routes) {
      for (const token of [undefined, 'forged-token', admin.token.replace(/.$/, (c) => (c === '0' ? '1' : '0'))]) {
        const before = snapshot();
        const request = admin.agent[route.method.toLowerCase() as 'post'](fill(route.path)).type('form');
        const response = await request.send(token === undefined ? fields : { ...fields, _csrf: token });
        expect(response.status, `${route.method} ${route.path} with token ${token}`).toBe(403);
        expect(snapshot(), `${route.method} ${route.path} changed data`).toBe(before);
      }
    }
    expect(sender.sent).toHaveLength(0);
    // The session itself survived all that: a real form still works.
    await admin.get('/').expect(200);
  });
});

describe('every page behind sign-in', () => {
  it('answers with Cache-Control: no-store, so orders and phone numbers stay out of shared caches', async () => {
    const { app, admin, fill } = await setup();
    const pages = routesOf(app).filter((route) => route.method === 'GET' && sessionRoute(route));
    expect(pages.length).toBeGreaterThanOrEqual(4);
    for (const page of pages) {
      // Only the head counts: a live stream (/events) never ends, so the body is not waited for.
      const response = await admin.agent.get(fill(page.path)).buffer(false).parse((stream, done) => {
        (stream as unknown as IncomingMessage).destroy();
        done(null, undefined);
      });
      expect(response.status, page.path).toBe(200);
      expect(response.headers['cache-control'], page.path).toBe('no-store');
    }
  });
});

describe('every API route', () => {
  it('is found in the route table at its real path under /api', async () => {
    const { app } = await setup();
    const api = routesOf(app).filter(apiRoute).map((route) => `${route.method} ${route.path}`);
    expect(api).toEqual(expect.arrayContaining(['GET /api/openapi.json', 'POST /api/orders', 'GET /api/orders/:orderId']));
  });

  it('answers 401 without an API key, even with a signed-in session, and changes nothing', async () => {
    const { app, admin, anonymous, fill, snapshot } = await setup();
    const routes = routesOf(app).filter(apiRoute).filter((route) => !publicRoutes.has(`${route.method} ${route.path}`));
    expect(routes.length).toBeGreaterThanOrEqual(2);
    for (const route of routes) {
      for (const client of [anonymous(), admin]) {
        const before = snapshot();
        const response = await client.agent[route.method.toLowerCase() as 'post'](fill(route.path)).send(makeOrder());
        expect(response.status, `${route.method} ${route.path}`).toBe(401);
        expect(response.headers['cache-control'], `${route.method} ${route.path}`).toBe('no-store');
        expect(snapshot(), `${route.method} ${route.path} changed data`).toBe(before);
      }
    }
  });

  it('answers with Cache-Control: no-store, so orders and phone numbers stay out of shared caches', async () => {
    const { app, database, fill } = await setup();
    const { key } = (await createApiKeyRepository(database).create({ name: 'webshop', createdBy: null }))!;
    const reads = routesOf(app).filter((route) => apiRoute(route) && route.method === 'GET');
    expect(reads.length).toBeGreaterThanOrEqual(2);
    for (const route of reads) {
      const response = await supertest(app).get(fill(route.path)).set('Authorization', `Bearer ${key}`);
      expect(response.status, route.path).toBe(200);
      expect(response.headers['cache-control'], route.path).toBe('no-store');
    }
  });
});

describe('staff-only and admin-only pages', () => {
  it('answers 403 to a staff account on the admin pages', async () => {
    const { signIn, snapshot } = await setup();
    const cook = await signIn('cook2');
    const before = snapshot();
    await cook.get('/staff').expect(403);
    await cook.post('/staff').send({ username: 'sneaky', password: 'a long enough new password', role: 'admin' }).expect(403);
    expect(snapshot()).toBe(before);
  });
});
