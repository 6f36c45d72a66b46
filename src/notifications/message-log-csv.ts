import type { ZonedCalendar } from '../web/zoned-days.ts';
import type { MessageLogRow } from './message-stats-repository.ts';

// CSV as RFC 4180 has it: CRLF line ends, a field quoted when it holds a quote, comma or line
// break, quotes doubled. https://www.rfc-editor.org/rfc/rfc4180
// A cell a spreadsheet would run as a formula (= + - @, and tab or CR, which some treat alike) gets
// a leading apostrophe: https://owasp.org/www-community/attacks/CSV_Injection
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvLine = (cells: ReadonlyArray<string | number | null>): string => `${cells.map(csvCell).join(',')}\r\n`;

/** The export's columns: a header and how each row fills it, times on the kitchen's clock. */
export function messageLogColumns(calendar: ZonedCalendar) {
  const time = (at: string | null) => (at === null ? null : calendar.dateTime(new Date(at)));
  const columns: Array<[string, (row: MessageLogRow) => string | number | null]> = [
    [`Requested (${calendar.timeZone})`, (row) => time(row.requestedAt)],
    [`Sent (${calendar.timeZone})`, (row) => time(row.sentAt)],
    [`Delivered (${calendar.timeZone})`, (row) => time(row.deliveredAt)],
    ['Order id', (row) => row.orderId],
    ['Order number', (row) => row.orderNumber],
    ['Customer', (row) => row.customerName],
    ['Recipient', (row) => row.recipient],
    ['Order status', (row) => row.orderStatus],
    ['Message state', (row) => row.state],
    ['Attempts', (row) => row.attempts],
    ['Error code', (row) => row.errorCode],
    ['Error', (row) => row.errorDescription],
    ['Text', (row) => row.body],
  ];
  return { header: columns.map(([name]) => name), cells: (row: MessageLogRow) => columns.map(([, cell]) => cell(row)) };
}

/**
 * The export as text chunks, one per page of rows, pulled only as fast as the response takes them
 * (see the router's pipeline): a year of messages never sits in memory. It starts with a UTF-8
 * byte order mark, which Excel needs to read names such as "Chloé" right; other readers skip it.
 */
export async function* messageLogCsv(pages: AsyncIterable<readonly MessageLogRow[]>, calendar: ZonedCalendar): AsyncGenerator<string> {
  const columns = messageLogColumns(calendar);
  yield `\uFEFF${csvLine(columns.header)}`;
  for await (const page of pages) yield page.map((row) => csvLine(columns.cells(row))).join('');
}
