// How the board's reads scale: the same 200 orders on the board, with a small and a large message
// log behind them. Both sides run in this one process, interleaved, and the ratio is printed.
import { openDatabase } from '../src/db/database.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';

function boardDatabase(messagesPerOrder: number) {
  const db = openDatabase(':memory:');
  const orders = createOrderRepository(db);
  const messages = createMessageRepository(db);
  db.transaction(() => {
    for (let order = 0; order < 200; order += 1) {
      const id = String(order).padStart(32, '0');
      orders.insert({ id, customerName: `Customer ${order}`, phone: '+319876543211', items: 'Pizza', status: 'pending' });
      for (let message = 0; message < messagesPerOrder; message += 1) {
        messages.queue({ orderId: id, orderStatus: 'pending', body: 'Hello', recipient: '+319876543211', reference: `${id}-${message}`, requestedBy: null }, { resend: true });
      }
    }
  })();
  return { orders, messages };
}

function timeBoardReads(board: ReturnType<typeof boardDatabase>, rounds: number): number {
  const started = process.hrtime.bigint();
  for (let round = 0; round < rounds; round += 1) {
    board.messages.latestFor(board.orders.list().map((order) => order.id));
  }
  return Number(process.hrtime.bigint() - started) / rounds / 1e6;
}

const small = boardDatabase(1);
const large = boardDatabase(250);
const samples: Array<[number, number]> = [];
for (let repeat = 0; repeat < 7; repeat += 1) samples.push([timeBoardReads(small, 30), timeBoardReads(large, 30)]);
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const smallMs = median(samples.map(([value]) => value));
const largeMs = median(samples.map(([, value]) => value));
console.log(`board reads, 200 orders: 200 messages ${smallMs.toFixed(3)} ms, 50,000 messages ${largeMs.toFixed(3)} ms per board`);
console.log(`ratio (50,000 / 200 messages): ${(largeMs / smallMs).toFixed(2)}x for a 250x larger message log`);
