// Run as its own process by the order tests: creates orders in a loop on a shared database (a SQLite
// file or a PostgreSQL URL), so several of these compete for the next number of the day, or for the
// same externalIds.
// Usage: node create-orders-process.ts <database file or postgres:// URL> <count> [externalId-prefix]
import { openDatabase } from '../../src/db/database.ts';
import { createOrderRepository } from '../../src/orders/order-repository.ts';

const [databasePath, count, externalIdPrefix] = process.argv.slice(2);
const db = await openDatabase(/^postgres(?:ql)?:\/\//.test(databasePath!) ? { url: databasePath! } : { path: databasePath! }, { poolSize: 2 });
const orders = createOrderRepository(db);
const outcomes: string[] = [];
for (let i = 0; i < Number(count); i += 1) {
  const result = await orders.create({
    customerName: 'Ada', phone: '+31612345678', items: ['1 x Pizza'], note: null, deliveryAddress: null,
    externalId: externalIdPrefix ? `${externalIdPrefix}-${i}` : null, formToken: null, createdBy: null, apiKeyId: null,
  });
  outcomes.push(result.outcome === 'created' ? 'created' : result.sameOrder ? 'same' : 'conflict');
}
process.stdout.write(JSON.stringify(outcomes));
await db.close();
