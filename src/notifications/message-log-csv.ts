import { csvChunks } from '../web/csv.ts';
import type { CsvColumn } from '../web/csv.ts';
import type { ZonedCalendar } from '../web/zoned-days.ts';
import type { MessageLogRow } from './message-stats-repository.ts';

/** The export's columns: a header and how each row fills it, times on the kitchen's clock. */
export function messageLogColumns(calendar: ZonedCalendar): Array<CsvColumn<MessageLogRow>> {
  const time = (at: string | null) => (at === null ? null : calendar.dateTime(new Date(at)));
  return [
    [`Requested (${calendar.timeZone})`, (row) => time(row.requestedAt)],
    [`Sent (${calendar.timeZone})`, (row) => time(row.sentAt)],
    [`Delivered (${calendar.timeZone})`, (row) => time(row.deliveredAt)],
    ['Order id', (row) => row.orderId],
    ['Order number', (row) => row.orderNumber],
    ['Customer', (row) => row.customerName],
    ['Recipient', (row) => row.recipient],
    ['Order status', (row) => row.orderStatus],
    // A status text, or staff's answer to a customer's text (sent while the order had that status).
    ['Kind', (row) => (row.kind === 'answer' ? 'answer' : 'status text')],
    ['Message state', (row) => row.state],
    ['Attempts', (row) => row.attempts],
    ['Error code', (row) => row.errorCode],
    ['Error', (row) => row.errorDescription],
    ['Text', (row) => row.body],
  ];
}

/** The message log as CSV chunks, a page of rows at a time (see csvChunks). */
export function messageLogCsv(pages: AsyncIterable<readonly MessageLogRow[]>, calendar: ZonedCalendar): AsyncGenerator<string> {
  return csvChunks(messageLogColumns(calendar), pages);
}
