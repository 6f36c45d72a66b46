import { createHash } from 'node:crypto';
import { openSqlite } from '../../src/db/sqlite.ts';
import { createMessageRepository } from '../../src/notifications/message-repository.ts';
import { messageStates } from '../../src/notifications/message-states.ts';
import { createOptOutRepository } from '../../src/notifications/opt-out-repository.ts';
import type { MessageState } from '../../src/notifications/message-states.ts';
import { createOrderRepository } from '../../src/orders/order-repository.ts';
import { orderStatuses } from '../../src/orders/order-status.ts';
import { queuedMessage } from './queued-message.ts';

// Plain imports only (no test helpers): screenshot runs use this outside vitest too.

/** The third order's tracking page is at /t/ and this token. */
export const kitchenBoardTrackingToken = 'Kb3kP9vB2mWz';
const names = ['Mike Madeater', 'Don Cheetos', 'Hannah Hungry', 'Perry Peckish', 'Sally Snacks', 'Gus Gobble', 'Mia Munch', 'Tom Tuckin'];

/**
 * Fills the database file with a board as a busy kitchen has it: orders in every status, some late,
 * latest messages in every state (with a reason on the failed ones), and the fourth customer opted
 * out of texts. Returns the order ids, oldest first. Call before the server opens the file.
 */
export async function seedKitchenBoard(path: string, options: { orders?: number; oldestMinutes?: number } = {}): Promise<string[]> {
  const db = openSqlite(path);
  const orders = createOrderRepository(db);
  const messages = createMessageRepository(db);
  const count = options.orders ?? messageStates.length + orderStatuses.length;
  const oldest = options.oldestMinutes ?? 50;
  const now = Date.now();
  const ids: string[] = [];
  const tomorrow = new Date(now + 86_400_000).toISOString();
  for (let index = 0; index < count; index += 1) {
    const id = createHash('md5').update(`kitchen-board-${index}`).digest('hex');
    const status = orderStatuses[index % orderStatuses.length]!;
    const name = `${names[index % names.length]} ${index + 1}`;
    await orders.insert({ id, customerName: name, phone: `+3161234${String(index).padStart(4, '0')}`, items: `${1 + (index % 3)} x Chef Special Mozzarella Pizza\n1 x Fries`, status, note: index % 5 === 0 ? 'Ring twice' : null,
      // Most go out to an address (one as long as addresses get), every third is picked up.
      deliveryAddress: index % 3 === 2 ? null : `${index === 0 ? 'Eerste Constantijn Huygensstraat' : 'Kerkstraat'} ${index + 1}, 1017 GC Amsterdam` });
    // Oldest first, spread over the last `oldest` minutes, so the first ones are late.
    const createdAt = new Date(now - (oldest - (index * oldest) / count) * 60_000).toISOString();
    await db.run('UPDATE orders SET created_at = ?, updated_at = ? WHERE id = ?', [createdAt, new Date(now - 60_000).toISOString(), id]);
    ids.push(id);
    if (index < messageStates.length) {
      const state: MessageState = messageStates[index]!;
      const queued = await messages.queue({ orderId: id, orderStatus: status, body: `Hello, ${name}`, recipient: '+31612340000', reference: `kitchen-board-${index}`, requestedBy: null }, { resend: false });
      const failedReason = state === 'failed' || state === 'expired' ? 'Bad request (phone number has unknown format)' : null;
      // Due tomorrow and leased elsewhere: the server's outbox leaves these states as they are.
      await db.run('UPDATE messages SET state = ?, error_description = ?, next_attempt_at = ?, claimed_by = ?, lease_until = ? WHERE id = ?',
        [state, failedReason, tomorrow, 'elsewhere', tomorrow, queuedMessage(queued).id]);
    }
  }
  // One customer replied STOP: their row and order page say "opted out".
  if (count > 3) await createOptOutRepository(db).optOut(`+3161234${String(3).padStart(4, '0')}`, { source: 'keyword', keyword: 'STOP' });
  if (count > 2) await db.run('INSERT INTO order_tracking (order_id, token, created_at) VALUES (?, ?, ?)', [ids[2], kitchenBoardTrackingToken, new Date(now).toISOString()]);
  await db.close();
  return ids;
}
