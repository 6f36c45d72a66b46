import { describe, expect, it } from 'vitest';
import { openSqlite } from '../src/db/sqlite.ts';
import type { SqliteDatabase } from '../src/db/sqlite.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { createReplyRepository } from '../src/notifications/reply-repository.ts';
import { createStaffRepository } from '../src/staff/staff-repository.ts';
import { createTrackingRepository } from '../src/orders/tracking-repository.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { makeOrder, orderIdFor } from './support/helpers.ts';
import { DatabaseSessionStore } from '../src/web/database-session-store.ts';
import { recordingDatabase } from './support/recording-database.ts';
import { createWebhookRepository } from '../src/webhooks/webhook-repository.ts';

// The board's and the Done view's reads are checked in board.test.ts; these are the outbox's claim
// and the per-request session look-up, which run constantly on a table that only grows.

/** Every statement `use` runs, with the plan SQLite picks for it. */
async function plansOf(use: (database: SqliteDatabase) => Promise<unknown>): Promise<Array<{ sql: string; details: string[] }>> {
  const opened = openSqlite(':memory:');
  const db = opened.sqlite;
  const { database, sources } = recordingDatabase(opened);
  await use(database);
  return sources.map((sql) => {
    const named = [...sql.matchAll(/@(\w+)/g)].map((match) => match[1]!);
    const parameters = named.length > 0 ? [Object.fromEntries(named.map((name) => [name, name === 'limit' ? 1 : 'x']))] : [...sql.matchAll(/\?/g)].map(() => 'x');
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>;
    return { sql, details: plan.map((step) => step.detail) };
  });
}

describe('indexes', () => {
  it('the outbox’s claims, look-ups of what is due and lease handling never scan the messages', async () => {
    // Every step of the dispatcher's round and of a send's outcome.
    const plans = await plansOf(async (database) => {
      const messages = createMessageRepository(database);
      const claim = { owner: 'x', leaseMs: 1000 };
      const problem = { code: undefined, reasons: ['x'] };
      await messages.expireLeases();
      await messages.cancelOptedOut();
      await messages.claimChecks(1, claim);
      await messages.claimDue(1, claim);
      await messages.nextDueAt();
      await messages.renewLeases(claim);
      await messages.markSent(1, 'mb-1');
      await messages.markNotSent(1, 'x');
      await messages.markFailed(1, 'x', problem);
      await messages.reschedule(1, 'x', new Date(), problem);
      await messages.markChecking(1, 'x', problem);
      await messages.checkAgainAt(1, 'x', new Date());
      await messages.releaseClaims('x');
    });
    const outbox = plans.filter(({ sql }) => /state = '(queued|checking|sending)'|claimed_by = @owner/.test(sql));
    expect(outbox.length).toBeGreaterThanOrEqual(6);
    for (const { sql, details } of outbox) {
      for (const detail of details) expect(detail, sql).not.toMatch(/^SCAN (message|messages)\b(?! USING)/);
      expect(details.join('\n'), sql).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/);
    }
  });

  it('the shops’ status updates: the sender’s claims and look-ups and the API keys page read their own indexes', async () => {
    const plans = await plansOf(async (database) => {
      const deliveries = createWebhookRepository(database);
      const outcome = { status: 500, error: 'x' };
      await deliveries.nextDue();
      await deliveries.claim('x', 1, 1000);
      await deliveries.claimed(1, 'x');
      await deliveries.delivered(1, 'x', outcome);
      await deliveries.retry(1, 'x', outcome, new Date());
      await deliveries.failed(1, 'x', outcome);
      await deliveries.cancelClaimed(1, 'x', 'x');
      await deliveries.release('x');
      await deliveries.cancelForRevokedKey(1);
      await deliveries.sendAgain(1, 1);
      await deliveries.latest(1);
      await deliveries.summary(1);
      await deliveries.forOrder('x');
      await deliveries.prune(new Date());
    });
    const reads = plans.filter(({ sql }) => /webhook_deliveries/.test(sql) && !/^\s*INSERT/.test(sql));
    expect(reads.length).toBeGreaterThanOrEqual(13);
    for (const { sql, details } of reads) {
      for (const detail of details) expect(detail, sql).not.toMatch(/^SCAN (delivery|webhook_deliveries)\b(?! USING)/);
    }
  });

  it('a request’s session is found by its primary key', async () => {
    const plans = await plansOf((database) => new Promise((resolve) => new DatabaseSessionStore(database).get('sid', resolve)));
    const get = plans.find(({ sql }) => sql.startsWith('SELECT data, expires_at') && sql.includes('FROM sessions WHERE sid'))!;
    expect(get.details.join('\n')).toMatch(/SEARCH sessions USING INDEX sqlite_autoindex_sessions_1 \(sid=\?\)/);
  });

  it('a customer’s tracking page finds its order by the token, and a text finds the order’s token by the order', async () => {
    const plans = await plansOf(async (database) => {
      const tracking = createTrackingRepository(database);
      await tracking.find('Xq3kP9vB2mWz');
      await createOrderRepository(database).insert(makeOrder({ id: orderIdFor('ada') }));
      await tracking.tokenFor(orderIdFor('ada'));
    });
    const trackingPlans = plans.filter(({ sql }) => sql.includes('order_tracking') && sql.startsWith('SELECT'));
    expect(trackingPlans).toHaveLength(2);
    for (const { sql, details } of trackingPlans) {
      for (const detail of details) expect(detail, sql).not.toMatch(/^SCAN /);
    }
  });

  it('a customer’s text finds its order by the number, and the board’s unread texts come from their own index', async () => {
    const plans = await plansOf(async (database) => {
      const replies = createReplyRepository(database);
      const staffId = (await createStaffRepository(database).create({ username: 'cook', role: 'staff', passwordHash: 'x' }))!.id;
      await replies.receive({ phone: '+31611111111', body: 'x', providerMessageId: 'mb-1' });
      await replies.forOrder('x');
      await replies.unread();
      await replies.page({});
      await replies.page({ unreadOnly: true });
      await replies.markOrderRead('x', 1, staffId);
      await replies.markAllRead(1, staffId);
      await replies.markRead(1, staffId);
    });
    const replyPlans = plans.filter(({ sql }) => /customer_replies|FROM orders WHERE phone/.test(sql));
    expect(replyPlans.length).toBeGreaterThanOrEqual(8);
    for (const { sql, details } of replyPlans) {
      for (const detail of details) expect(detail, sql).not.toMatch(/^SCAN (orders|reply|customer_replies)\b(?! USING)/);
    }
    expect(plans.find(({ sql }) => sql.includes('FROM orders WHERE phone = ?'))!.details.join('\n')).toMatch(/SEARCH orders USING INDEX orders_phone \(phone=\?\)/);
  });

  it('an opt-out finds the customer’s orders on the board by their number (its trigger reads them)', () => {
    const db = openSqlite(':memory:').sqlite;
    const trigger = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'board_events_opted_out'").pluck().get() as string;
    const select = /SELECT 'order-changed'[^;]+/.exec(trigger)![0].replace('NEW.phone', '?');
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${select}`).all('+31611111111') as Array<{ detail: string }>).map((step) => step.detail).join('\n');
    expect(plan).toMatch(/SEARCH orders USING INDEX orders_phone \(phone=\?\)/);
    db.close();
  });
});
