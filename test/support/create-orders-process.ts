// Run as its own process by the order tests: creates orders in a loop on a shared database file,
// so several of these compete for the next number of the day, or for the same externalIds.
// Usage: node create-orders-process.ts <database> <count> [externalId-prefix]
import { openSqlite } from '../../src/db/sqlite.ts';
import { createOrderRepository } from '../../src/orders/order-repository.ts';

const [databasePath, count, externalIdPrefix] = process.argv.slice(2);
const db = openSqlite(databasePath!);
const orders = createOrderRepository(db);
const outcomes: string[] = [];
for (let i = 0; i < Number(count); i += 1) {
  const result = await orders.create({
    customerName: 'Ada', phone: '+31612345678', items: ['1 x Pizza'], note: null,
    externalId: externalIdPrefix ? `${externalIdPrefix}-${i}` : null, formToken: null, createdBy: null, apiKeyId: null,
  });
  outcomes.push(result.outcome === 'created' ? 'created' : result.sameOrder ? 'same' : 'conflict');
}
process.stdout.write(JSON.stringify(outcomes));
await db.close();
