import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createTestApp, FakeSmsSender, makeOrder } from './support/helpers.ts';
import { routesOf } from './support/routes.ts';
import type { Route } from './support/routes.ts';

const stateChanging = (route: Route) => !['GET', 'HEAD', 'OPTIONS'].includes(route.method);

// Routes reachable without a session, each for a stated reason (the webhook carries a signed JWT;
// the API's description is public).
const publicRoutes = new Set(['GET /login', 'POST /login', 'GET /healthz', 'GET /webhooks/messagebird/status', 'GET /api/openapi.json']);
// The intake API takes no session and no CSRF token: every request carries an API key instead.
const apiRoute = (route: Route) => route.path.startsWith('/api/');
const sessionRoute = (route: Route) => !publicRoutes.has(`${route.method} ${route.path}`) && !apiRoute(route);

async function setup() {
  const sender = new FakeSmsSender();
  const context = createTestApp({ sender });
  context.orders.insert(makeOrder({ id: '00000000000000000000000000000001', status: 'pending' }));
  const admin = await context.signIn('boss', 'admin');
  const cook = await context.addAccount('cook');
  const fill = (path: string) => path.replace(':orderId', '00000000000000000000000000000001').replace(':staffId', String(cook.id));
  const snapshot = () => JSON.stringify([
    context.db.prepare('SELECT * FROM orders').all(),
    context.db.prepare('SELECT * FROM order_status_changes').all(),
    context.db.prepare('SELECT * FROM messages').all(),
    context.db.prepare('SELECT id, username, password_hash, role, disabled_at FROM staff').all(),
  ]);
  const fields = { status: 'confirmed', username: 'newcook', password: 'a long enough new password', role: 'staff' };
  return { ...context, sender, admin, fill, snapshot, fields };
}

describe('every state-changing route', () => {
  it('is found in the route table', async () => {
    const { app } = await setup();
    const changing = routesOf(app).filter(stateChanging).map((route) => `${route.method} ${route.path}`);
    expect(changing).toEqual(expect.arrayContaining(['POST /orders/:orderId/status', 'POST /orders/:orderId/notify', 'POST /logout', 'POST /staff']));
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
    const routes = routesOf(app).filter(stateChanging).filter(sessionRoute);
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

describe('every state-changing API route', () => {
  it('refuses a request without an API key with 401, even from a signed-in browser with a CSRF token, and changes nothing', async () => {
    const { app, admin, fill, snapshot, fields, sender } = await setup();
    const routes = routesOf(app).filter(stateChanging).filter(apiRoute);
    expect(routes.map((route) => `${route.method} ${route.path}`)).toContain('POST /api/orders');
    for (const route of routes) {
      const before = snapshot();
      const response = await admin.agent[route.method.toLowerCase() as 'post'](fill(route.path)).type('form').send({ ...fields, _csrf: admin.token });
      expect(response.status, `${route.method} ${route.path}`).toBe(401);
      expect(snapshot(), `${route.method} ${route.path} changed data`).toBe(before);
    }
    expect(sender.sent).toHaveLength(0);
  });
});

describe('every page behind sign-in', () => {
  it('answers with Cache-Control: no-store, so orders and phone numbers stay out of shared caches', async () => {
    const { app, admin, fill } = await setup();
    const pages = routesOf(app).filter((route) => route.method === 'GET' && sessionRoute(route));
    expect(pages.map((page) => page.path)).toEqual(expect.arrayContaining(['/', '/done', '/events', '/orders/:orderId']));
    for (const page of pages) {
      // Only the status and headers count: a stream such as /events is cut once they arrive.
      const response = await admin.get(fill(page.path)).buffer(false).parse((answer, done) => { (answer as unknown as IncomingMessage).destroy(); done(null, undefined); });
      expect(response.status, page.path).toBe(200);
      expect(response.headers['cache-control'], page.path).toBe('no-store');
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
