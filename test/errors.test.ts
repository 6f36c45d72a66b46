import fc from 'fast-check';
import { once } from 'node:events';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { describeEngines } from './support/engines.ts';
import type { TestEngine } from './support/engines.ts';
import { captureLogs, createTestApp, csrfTokenIn, makeOrder, testConfig, testPassword } from './support/helpers.ts';
import { routesOf } from './support/routes.ts';

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

// What must never reach a visitor: a stack frame or a path on the server.
const stackOrPath = /\n\s+at |at [\w.<>]+ \(|node_modules|\/src\/|\.ts:\d+|file:\/\//;

const servers: { close: () => void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/**
 * The app on a real port, signed in as an admin, sending raw request targets: supertest and fetch
 * would normalise `..` and escape what we want to send as it is.
 */
async function signedInServer(engine: TestEngine, options: Omit<NonNullable<Parameters<typeof createTestApp>[0]>, 'engine'> = {}) {
  const context = await createTestApp({ ...options, engine });
  await context.addAccount('boss', 'admin');
  const server = context.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  let cookie = '';
  const send = (method: string, path: string, form?: Record<string, string>) => new Promise<Answer>((resolve, reject) => {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const outgoing = request({
      host: '127.0.0.1', port, method, path,
      headers: { cookie, ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}) },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
  const remember = (answer: Answer) => {
    const setCookie = answer.headers['set-cookie'];
    if (setCookie) cookie = setCookie[0]!.split(';')[0]!;
    return answer;
  };
  const loginPage = remember(await send('GET', '/login'));
  remember(await send('POST', '/login', { _csrf: csrfTokenIn(loginPage.body), username: 'boss', password: testPassword }));
  const token = csrfTokenIn((await send('GET', '/')).body);
  return { ...context, send, token };
}

// Pieces of hostile path segments: broken and overlong escapes, dot segments, encoded slashes.
const piece = fc.oneof(
  fc.constantFrom('%', '%%32%65', '%C3%28', '%FF', '%C0%AF', '%E0%80%AF', '%F0%80%80%AF', '%u0041', '%2', '%G1',
    '..', '%2e%2e', '.%2e', '%2F', '%2f..%2f', '%5C', '\\', '%00', '%0A', '//', ';', '?', '#'),
  // Arbitrary bytes, percent-encoded
  fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('')),
  // Raw characters Node lets through in a request target (! to ÿ).
  fc.string({ unit: fc.integer({ min: 0x21, max: 0xff }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 8 }),
);
const segment = fc.array(piece, { minLength: 1, maxLength: 4 }).map((pieces) => pieces.join(''));

describeEngines('bad addresses', (engine) => {
  it.each(['/orders/%C3%28', '/orders/%FF', '/orders/%C0%AF', '/orders/%u0041', '/orders/%%32%65', '/staff/%FF/password'])(
    'GET %s answers 400 "That address is not valid", logged at info',
    async (path) => {
      const logs = captureLogs();
      const { send } = await signedInServer(engine, { logger: logs.logger });
      const answer = await send('GET', path);
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('That address is not valid.');
      expect(answer.body).not.toMatch(stackOrPath);
      const line = logs.lines().find((entry) => entry.msg === 'bad address');
      expect(line?.level).toBe(30);
      expect(logs.lines().some((entry) => (entry.level as number) >= 50)).toBe(false);
    },
  );

  it('answers OPTIONS * with the methods the server allows, and GET * with 400', async () => {
    const { send } = await signedInServer(engine);
    const options = await send('OPTIONS', '*');
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('GET, HEAD, POST');
    const get = await send('GET', '*');
    expect(get.status).toBe(400);
    expect(get.body).not.toMatch(stackOrPath);
  });

  it('never answers 5xx, a stack or a file path, whatever the path parameters of any route hold', async () => {
    const { app, send, token } = await signedInServer(engine);
    const routes = routesOf(app).filter((route) => route.path.includes(':'));
    expect(routes.length).toBeGreaterThanOrEqual(6);
    await fc.assert(fc.asyncProperty(fc.constantFrom(...routes), segment, async (route, value) => {
      const path = route.path.replace(/:\w+/g, value);
      const answer = await send(route.method, path, route.method === 'GET' ? undefined : { _csrf: token, status: 'confirmed', password: 'x' });
      expect(answer.status, `${route.method} ${path}`).toBeLessThan(500);
      expect(answer.body, `${route.method} ${path}`).not.toMatch(stackOrPath);
    }), { numRuns: 1000 });
  }, 60_000);
});

describeEngines('a server error', (engine) => {
  // How each engine words the error of a query on a dropped table (PostgreSQL: relation "messages" does not exist).
  const noSuchTable = engine.name === 'postgres' ? 'does not exist' : 'no such table';

  it('shows an error id that is in the log line, and no stack or message', async () => {
    const logs = captureLogs();
    const { send, database, orders } = await signedInServer(engine, { logger: logs.logger, config: testConfig({ NODE_ENV: 'development' }) });
    // The board reads the latest message of every order it shows: a lost table breaks that read.
    await orders.insert(makeOrder());
    await database.run('DROP TABLE messages');
    const answer = await send('GET', '/');
    expect(answer.status).toBe(500);
    expect(answer.body).toContain('Something went wrong on our side.');
    expect(answer.body).not.toMatch(stackOrPath);
    expect(answer.body).not.toContain(noSuchTable);
    const errorId = /class="error-id">([0-9a-f]+)</.exec(answer.body)?.[1];
    expect(errorId).toMatch(/^[0-9a-f]{10}$/);
    const logged = logs.lines().find((entry) => entry.msg === 'request failed');
    expect(logged?.errorId).toBe(errorId);
    expect(JSON.stringify(logged?.err)).toContain(noSuchTable);
  });

  it('shows the stack when SHOW_ERROR_DETAILS is on', async () => {
    const { send, database, orders } = await signedInServer(engine, { config: testConfig({ SHOW_ERROR_DETAILS: 'true' }) });
    await orders.insert(makeOrder());
    await database.run('DROP TABLE messages');
    const answer = await send('GET', '/');
    expect(answer.status).toBe(500);
    expect(answer.body).toMatch(new RegExp(`<pre>[^<]*${noSuchTable}`));
  });
});
