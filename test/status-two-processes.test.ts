import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { csrfTokenIn } from './support/helpers.ts';
import { startServer } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { useTempDatabases } from './support/temp-databases.ts';

const tempDatabase = useTempDatabases();
const admin = { username: 'chef', password: 'kitchen-door-blue-42' };

/** Signs in over HTTP like a browser would; the session lives in the shared database. */
async function signIn(url: string): Promise<{ cookie: string; token: string }> {
  const loginPage = await fetch(`${url}/login`);
  let cookie = loginPage.headers.getSetCookie()[0]!.split(';')[0]!;
  const signedIn = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...admin, _csrf: csrfTokenIn(await loginPage.text()) }),
  });
  expect(signedIn.status).toBe(303);
  cookie = signedIn.headers.getSetCookie()[0]?.split(';')[0] ?? cookie;
  const board = await fetch(`${url}/`, { headers: { cookie } });
  return { cookie, token: csrfTokenIn(await board.text()) };
}

describe('status updates from two processes on one database', () => {
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  it('let exactly one of two stale-page updates per order through, and never answer 5xx', async () => {
    const path = tempDatabase();
    const db = openDatabase(path);
    const orders = createOrderRepository(db);
    const ids = Array.from({ length: 40 }, (_, index) => `race-${index}`);
    for (const id of ids) orders.insert({ id, customerName: `Customer ${id}`, phone: '+319876543211', items: 'Pizza', status: 'pending' });

    const env = { DATABASE_PATH: path, ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password };
    // One after the other, so the second finds the first's session secret and admin.
    servers.push(await startServer(env));
    servers.push(await startServer(env));
    const [first, second] = servers as [ServerProcess, ServerProcess];
    const session = await signIn(first.url);

    // Every order gets two updates at once, one per process, both from a page showing "pending".
    const update = (url: string, id: string, status: string) => fetch(`${url}/orders/${id}/status`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: session.token, status, expectedStatus: 'pending' }),
    }).then((response) => ({ id, status, code: response.status }));
    const answers = await Promise.all(ids.flatMap((id) => [update(first.url, id, 'confirmed'), update(second.url, id, 'delayed')]));

    expect(answers.filter((answer) => answer.code !== 303 && answer.code !== 409)).toEqual([]);
    for (const id of ids) {
      const winners = answers.filter((answer) => answer.id === id && answer.code === 303);
      expect(winners).toHaveLength(1);
      expect(orders.findById(id)!.status).toBe(winners[0]!.status);
      expect(orders.history(id).map((change) => change.status)).toEqual(['pending', winners[0]!.status]);
    }
    db.close();
  }, 60_000);
});
