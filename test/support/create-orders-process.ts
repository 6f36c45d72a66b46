// Run as its own process by the order-number test: creates orders in a loop on a shared database
// file, so several of these compete for the next number of the day.
import { openDatabase } from '../../src/db/database.ts';
import { createOrderRepository } from '../../src/orders/order-repository.ts';

const [databasePath, count] = process.argv.slice(2);
const db = openDatabase(databasePath!);
const orders = createOrderRepository(db);
for (let i = 0; i < Number(count); i += 1) {
  orders.create({ customerName: `Process ${process.pid}`, phone: '+31612345678', items: ['1 x Pizza'], note: null, externalId: null, formToken: null, createdBy: null, apiKeyId: null });
}
db.close();
