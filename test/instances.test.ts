import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { createTestLocation, describePostgres } from './support/engines.ts';
import { FakeMessageBird } from './support/fake-messagebird.ts';
import { orderIdFor } from './support/helpers.ts';
import { signInOverHttp, startServer } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';

const admin = { username: 'chef', password: 'kitchen-door-blue-42' };
const orderCount = 50;
const leaseMs = 1000;


/** The dispatcher's claim name, from the server's "listening" log line. */
function instanceIdOf(server: ServerProcess): string {
  const line = server.output().split('\n').find((text) => text.includes('"instanceId"'));
  return (JSON.parse(line!) as { instanceId: string }).instanceId;
}

type Transition = { messageId: number; oldState: string; newState: string; oldOwner: string | null; oldLease: string | null; loggedAt: Date };

/**
 * Records every change of a message's state or owner, with the database's clock, so the test can
 * tell when the survivor touched a dead instance's send — polling from outside would miss a
 * 'checking' that lasts one look-up.
 */
async function recordTransitions(client: pg.Client): Promise<void> {
  await client.query(`CREATE TABLE message_transitions (message_id INTEGER, old_state TEXT, new_state TEXT, old_owner TEXT, old_lease TEXT,
    logged_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())`);
  await client.query(`CREATE FUNCTION record_message_transition() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO message_transitions (message_id, old_state, new_state, old_owner, old_lease) VALUES (NEW.id, OLD.state, NEW.state, OLD.claimed_by, OLD.lease_until);
      RETURN NEW;
    END $$`);
  await client.query(`CREATE TRIGGER message_transitions AFTER UPDATE ON messages FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.claimed_by IS DISTINCT FROM NEW.claimed_by) EXECUTE FUNCTION record_message_transition()`);
}

describePostgres('two instances on one PostgreSQL database', (engine) => {
  const servers: ServerProcess[] = [];
  const clients: pg.Client[] = [];
  let fake: FakeMessageBird | undefined;
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop('SIGKILL')));
    await Promise.all(clients.splice(0).map((client) => client.end()));
    await fake?.close();
  });

  it(`text each of ${orderCount} customers once when one instance is killed mid-send: the survivor waits out its leases, then looks its sends up instead of resending`, async () => {
    const location = await createTestLocation(engine);
    const db = await location.open();
    const orders = createOrderRepository(db);
    const ids = Array.from({ length: orderCount }, (_, index) => orderIdFor(`instances-${index}`));
    for (const id of ids) await orders.insert({ id, customerName: `Customer ${id}`, phone: '+319876543211', items: 'Pizza', status: 'pending' });
    const client = new pg.Client({ connectionString: 'url' in location.location ? location.location.url : '' });
    clients.push(client);
    await client.connect();
    await recordTransitions(client);

    fake = new FakeMessageBird();
    // A provider that takes 100–200 ms per send keeps sends in flight at the kill; it keeps what it
    // took even when the caller died before the answer, as MessageBird does.
    fake.fallback = (request) => ({ status: 201, body: { id: `mb-${String(request.body.reference)}` }, delayMs: 100 + Math.floor(Math.random() * 100) });
    await fake.start();

    const env = {
      ...location.env, ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password, MESSAGEBIRD_API_KEY: 'test_instances',
      // Notify answers once the text is queued, so every request is answered before the kill.
      NOTIFY_WAIT_MS: '0', SMS_CONCURRENCY: '2', SMS_RETRY_BASE_MS: '50', SMS_LEASE_MS: String(leaseMs), SMS_CHECK_GRACE_MS: '1000',
    };
    // One after the other, so the second finds the first's session secret and admin.
    servers.push(await startServer(env, { fakeMessageBird: fake.url }));
    servers.push(await startServer(env, { fakeMessageBird: fake.url }));
    const [doomed, survivor] = servers as [ServerProcess, ServerProcess];
    const doomedId = instanceIdOf(doomed);
    const sessions = [await signInOverHttp(doomed.url, admin), await signInOverHttp(survivor.url, admin)];

    // Notify presses alternate between the two instances.
    const answers = await Promise.all(ids.map((id, index) => fetch(`${servers[index % 2]!.url}/orders/${id}/notify`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: sessions[index % 2]!.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: sessions[index % 2]!.token, status: 'pending', expectedStatus: 'pending' }),
    }).then(async (response) => ({ index, status: response.status, body: response.status === 303 ? '' : (await response.text()).slice(0, 500) }))));
    // A refused press says which instance refused it and why, so a rare failure can be diagnosed from the log.
    expect(answers.filter((answer) => answer.status !== 303).map((answer) => ({ ...answer, instance: answer.index % 2 === 0 ? 'doomed' : 'survivor' }))).toEqual([]);

    const sendingOf = async (owner: string) => (await client.query<{ id: number; reference: string; lease_until: string }>(
      "SELECT id::int AS id, reference, lease_until FROM messages WHERE state = 'sending' AND claimed_by = $1", [owner])).rows;
    await expect.poll(async () => (await sendingOf(doomedId)).length, { timeout: 10_000, interval: 5 }).toBeGreaterThanOrEqual(2);
    await doomed.stop('SIGKILL');
    const killedAt = Date.now();
    // What the dead instance held: nobody renews these leases any more.
    const held = await sendingOf(doomedId);
    expect(held.length, 'sends in flight at the kill').toBeGreaterThan(0);

    const unsettled = "SELECT count(*)::int AS count FROM messages WHERE state NOT IN ('sent', 'delivered')";
    await expect.poll(async () => (await client.query<{ count: number }>(unsettled)).rows[0]!.count, { timeout: 30_000, interval: 50 }).toBe(0);

    const rows = (await client.query<{ id: number; order_id: string; reference: string; state: string; provider_message_id: string }>(
      'SELECT id, order_id, reference, state, provider_message_id FROM messages ORDER BY id')).rows;
    // Every order has exactly one message, and MessageBird holds it under the id the row records.
    expect(rows.map((row) => row.order_id).sort()).toEqual([...ids].sort());
    const heldByMessageBird = new Map(fake.messages.map((message) => [message.reference, message.id]));
    expect(rows.filter((row) => heldByMessageBird.get(row.reference) !== row.provider_message_id)).toEqual([]);

    // No reference reached MessageBird twice: no customer got a text twice.
    const received = fake.sends().map((request) => String(request.body.reference));
    const duplicates = received.filter((reference, index) => received.indexOf(reference) !== index);
    expect(duplicates).toEqual([]);
    expect(new Set(received)).toEqual(new Set(rows.map((row) => row.reference)));

    // The survivor touched none of the dead instance's sends before its lease ran out; each went
    // to 'checking' and was settled by a look-up (or, if it never reached MessageBird, sent once after the grace).
    const transitions = (await client.query<Transition>(`SELECT message_id AS "messageId", old_state AS "oldState", new_state AS "newState",
      old_owner AS "oldOwner", old_lease AS "oldLease", logged_at AS "loggedAt" FROM message_transitions WHERE message_id = ANY($1) ORDER BY logged_at`,
    [held.map((row) => row.id)])).rows;
    const takeovers = held.map((row) => transitions.find((transition) => transition.messageId === row.id && transition.oldOwner === doomedId && transition.loggedAt.getTime() >= killedAt - 50));
    expect(takeovers.map((transition) => transition?.newState)).toEqual(held.map(() => 'checking'));
    expect(takeovers.filter((transition, index) => transition!.loggedAt.getTime() < Date.parse(held[index]!.lease_until))).toEqual([]);
    const firstLeaseEnd = Math.min(...held.map((row) => Date.parse(row.lease_until)));
    expect(fake.lookups().length).toBeGreaterThan(0);
    expect(fake.lookups().filter((request) => request.at < firstLeaseEnd)).toEqual([]);
    expect(survivor.output()).toContain('found sends whose process stopped');

    const settledAt = Math.max(...transitions.filter((transition) => transition.newState === 'sent').map((transition) => transition.loggedAt.getTime()));
    console.info(`instances test: ${rows.length} messages, ${received.length} sends, ${duplicates.length} duplicates, ${held.length} in flight at the kill, `
      + `${fake.lookups().length} look-ups, first take-over ${Math.min(...takeovers.map((transition) => transition!.loggedAt.getTime())) - killedAt} ms after the kill `
      + `(leases ended ${firstLeaseEnd - killedAt} ms after it), all reconciled ${settledAt - killedAt} ms after it`);
    expect(await survivor.stop('SIGTERM')).toBe(0);
  }, 60_000);
});
