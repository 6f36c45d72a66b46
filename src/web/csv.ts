import type { Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type CsvValue = string | number | null;

/** A column of an export: its header, and how a row fills it. */
export type CsvColumn<Row> = readonly [header: string, cell: (row: Row) => CsvValue];

// CSV as RFC 4180 has it: CRLF line ends, a field quoted when it holds a quote, comma or line
// break, quotes doubled. https://www.rfc-editor.org/rfc/rfc4180
// A cell a spreadsheet would run as a formula (= + - @, and tab or CR, which some treat alike) gets
// a leading apostrophe: https://owasp.org/www-community/attacks/CSV_Injection
export function csvCell(value: CsvValue): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvLine = (cells: readonly CsvValue[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/**
 * An export as text chunks, one per page of rows, pulled only as fast as the response takes them
 * (see sendCsv): a year of rows never sits in memory. It starts with a UTF-8 byte order mark,
 * which Excel needs to read names such as "Chloé" right; other readers skip it.
 */
export async function* csvChunks<Row>(columns: ReadonlyArray<CsvColumn<Row>>, pages: AsyncIterable<readonly Row[]>): AsyncGenerator<string> {
  yield `\uFEFF${csvLine(columns.map(([header]) => header))}`;
  for await (const page of pages) yield page.map((row) => csvLine(columns.map(([, cell]) => cell(row)))).join('');
}

/** Sends an export as a download named `filename`. */
export async function sendCsv(res: Response, filename: string, chunks: AsyncIterable<string>): Promise<void> {
  res.attachment(filename);
  res.type('text/csv; charset=utf-8; header=present');
  try {
    // pipeline writes with backpressure: when res.write says the buffer is full it waits for
    // 'drain' before pulling the next page from the database.
    await pipeline(Readable.from(chunks, { objectMode: false }), res);
  } catch (error) {
    // A download cancelled half-way is the client's choice, not our error.
    if (res.destroyed && (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw error;
  }
}
