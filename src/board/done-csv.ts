import type { Order } from '../orders/order-repository.ts';
import { csvChunks } from '../web/csv.ts';
import type { CsvColumn } from '../web/csv.ts';
import type { ZonedCalendar } from '../web/zoned-days.ts';

/** A day's finished orders for the books or the drivers' round-up: times on the kitchen's clock. */
export function doneColumns(calendar: ZonedCalendar): Array<CsvColumn<Order>> {
  const time = (at: string | null) => (at === null ? null : calendar.dateTime(new Date(at)));
  return [
    ['Number', (order) => order.number],
    ['Status', (order) => order.status],
    ['Cancel reason', (order) => order.cancelReason],
    [`Came in (${calendar.timeZone})`, (order) => time(order.createdAt)],
    // An order for later: the time the customer asked for; empty for as soon as possible.
    [`Asked for (${calendar.timeZone})`, (order) => time(order.scheduledFor)],
    [`Done (${calendar.timeZone})`, (order) => time(order.updatedAt)],
    ['Customer', (order) => order.customerName],
    ['Phone', (order) => order.phone],
    ['Delivery address', (order) => order.deliveryAddress],
    ['Items', (order) => order.items],
    ['Note', (order) => order.note],
    ['Shop’s id', (order) => order.externalId],
    ['Order id', (order) => order.id],
  ];
}

/** The export as CSV chunks, a page of orders at a time (see csvChunks). */
export function doneCsv(pages: AsyncIterable<readonly Order[]>, calendar: ZonedCalendar): AsyncGenerator<string> {
  return csvChunks(doneColumns(calendar), pages);
}
