// The other side of the status benchmark: the status update's transaction in a bare loop — the
// order repository on the SQLite adapter (better-sqlite3), opened with the app's pragmas — with no
// HTTP, session, CSRF or rendering around it. Usage (forked with IPC): node bench/bare-status-loop.ts DATABASE
// Each message { ms } runs the loop that long and answers { transactions }.
import { loadConfig } from '../src/config.ts';
import { openSqlite } from '../src/db/sqlite.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { benchDelayMinutes, nextBenchStatus } from './status-cycle.ts';
import type { BenchStatus } from './status-cycle.ts';

const database = openSqlite(process.argv[2]!);
// The server under test runs with the default settings.
const config = loadConfig({});
const orders = createOrderRepository(database);
const active = await database.all<{ id: string; status: BenchStatus }>("SELECT id, status FROM orders WHERE status <> 'delivered'");
let position = 0;

process.on('message', (message: { ms: number } | 'stop') => {
  if (message === 'stop') {
    void database.close().then(() => process.exit(0));
    return;
  }
  void loop(message.ms);
});

async function loop(ms: number) {
  const until = performance.now() + ms;
  let transactions = 0;
  while (performance.now() < until) {
    const order = active[position % active.length]!;
    position += 1;
    const status = nextBenchStatus(order.status);
    // The same transaction as the board's form: a change to delayed stores its minutes and expected time.
    const delay = status === 'delayed' ? { minutes: benchDelayMinutes, lateAfterMinutes: config.board.lateAfterMinutes } : undefined;
    const update = await orders.updateStatus(order.id, status, null, order.status, delay);
    if (update?.outcome !== 'changed') throw new Error(`status update ${update?.outcome}`);
    order.status = status;
    transactions += 1;
  }
  process.send!({ transactions });
}
process.send!('ready');
