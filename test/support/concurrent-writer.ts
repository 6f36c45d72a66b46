// Run as its own process by the two-process tests: opens the database, seeds it, and does `count`
// read-then-write transactions on its own order and messages, as fast as it can. Prints the
// database errors it met (none expected) as JSON.
import { createHash } from 'node:crypto';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/database.ts';
import { createMessageRepository } from '../../src/notifications/message-repository.ts';
import { createOrderRepository } from '../../src/orders/order-repository.ts';
import { seedSampleOrders } from '../../src/orders/sample-orders.ts';

const [path, name, countText] = process.argv.slice(2) as [string, string, string];
// Order ids are 32 hex digits; the writer's name picks its own.
const orderId = createHash('md5').update(name).digest('hex');
const errors: string[] = [];
const attempt = async (work: () => unknown) => {
  try {
    await work();
  } catch (error) {
    errors.push((error as { code?: string }).code ?? String(error));
  }
};

// A SQLite file, or a PostgreSQL URL (the suites over both engines pass their test schema's).
let db: Database | undefined;
await attempt(async () => { db = await openDatabase(/^postgres(?:ql)?:\/\//.test(path) ? { url: path } : { path }); });
if (db) {
  const orders = createOrderRepository(db);
  const messages = createMessageRepository(db);
  await attempt(() => seedSampleOrders(orders));
  await attempt(() => orders.insert({ id: orderId, customerName: name, phone: '+319876543211', items: 'Pizza', status: 'pending' }));
  for (let index = 0; index < Number(countText); index += 1) {
    await attempt(() => orders.updateStatus(orderId, index % 2 === 0 ? 'confirmed' : 'pending', null));
    const reference = `${name}-${index}`;
    await attempt(() => messages.queue({ orderId, orderStatus: 'pending', body: 'Hello', recipient: '+319876543211', reference, requestedBy: null }, { resend: true }));
    await attempt(() => messages.applyReport({ reference, providerMessageId: undefined, status: 'delivered', statusAt: undefined, reason: undefined, errorCode: undefined }));
  }
  await db.close();
}
process.stdout.write(`${JSON.stringify({ errors })}\n`);
