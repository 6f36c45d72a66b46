import { describe, expect, it } from 'vitest';
import { nextBenchStatus, statusFormFields } from '../bench/status-cycle.ts';
import type { BenchStatus } from '../bench/status-cycle.ts';
import { createTestApp, makeOrder, orderIdFor } from './support/helpers.ts';

// `npm run bench` posts the board's status form as staff would; when the form gains a required
// field, the benchmark must learn it too, or it measures refusals (once it measured 0 changes/s).
describe('the benchmark\'s status changes', () => {
  it('are each accepted by the board\'s form as a real change, round the whole cycle', async () => {
    const { orders, signIn } = await createTestApp();
    const id = orderIdFor('bench');
    await orders.insert(makeOrder({ id, status: 'pending' }));
    const agent = await signIn();
    let status: BenchStatus = 'pending';
    for (let step = 0; step < 3; step += 1) {
      await agent.agent.post(`/orders/${id}/status`).type('form').send(statusFormFields(agent.token, status)).expect(303);
      status = nextBenchStatus(status);
      expect((await orders.findById(id))!.status).toBe(status);
    }
    expect(status).toBe('pending');
  });
});
