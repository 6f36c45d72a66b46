import { expect, it } from 'vitest';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { createTestLocation, describeEngines } from './support/engines.ts';
import { seedMessages } from './support/seed-messages.ts';
import { makeOrder, orderIdFor } from './support/helpers.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';

const queuedAt = '2026-11-23T10:00:00.000Z';
const now = () => new Date('2026-11-23T10:05:00.000Z');

describeEngines('claiming due messages from several instances at once', (engine) => {
  it.each([
    { kind: 'sends', state: 'queued' as const, claim: 'claimDue' as const, claimedState: 'sending' },
    { kind: 'outcome checks', state: 'checking' as const, claim: 'claimChecks' as const, claimedState: 'checking' },
  ])('gives each claim of $kind at most its limit, and each message to one claim only', async ({ state, claim, claimedState }) => {
    const location = await createTestLocation(engine);
    const first = await location.open();
    const second = await location.open();
    const orderIds = Array.from({ length: 60 }, (_, i) => orderIdFor(`claim-${i}`));
    const orders = createOrderRepository(first);
    for (const id of orderIds) await orders.insert(makeOrder({ id }));
    await seedMessages(first, orderIds.map((orderId) => ({ orderId, state, requestedAt: queuedAt, attempts: 0 })));
    await first.run('UPDATE messages SET next_attempt_at = requested_at');
    const instances = [createMessageRepository(first, now), createMessageRepository(second, now)];

    // Ten claims of two, racing over two pools: on PostgreSQL the losers meet locked rows, which is
    // where a claim written as `IN (SELECT … LIMIT … SKIP LOCKED)` took more rows than it asked for.
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      instances[i % 2]![claim](2, { owner: `instance-${i}`, leaseMs: 60_000 })));

    for (const claim of claims) expect(claim.length).toBeLessThanOrEqual(2);
    const ids = claims.flat().map((message) => message.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(20);
    const claimedRows = await first.value<number>('SELECT count(*) FROM messages WHERE state = ? AND claimed_by IS NOT NULL', [claimedState]);
    expect(claimedRows).toBe(20);
  });
});
