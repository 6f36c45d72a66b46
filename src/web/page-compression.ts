import type { Request } from 'express';
import Negotiator from 'negotiator';
import zlib from 'node:zlib';

// The fastest settings: on a kitchen's LAN a higher level costs the server more time than its few
// hundred bytes save in transfer (measured by `npm run bench`, docs/performance.md). One place for
// the compression middleware and for pages kept already compressed (the board).
export const gzipLevel = 1;
export const brotliParams = { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 };

export type PageEncoding = 'br' | 'gzip' | 'identity';

// The encoding chosen for each Accept-Encoding header seen (browsers send one of a handful).
const choices = new Map<string, PageEncoding>();

/**
 * The encoding the compression middleware would choose for this request, by its own rule: the
 * browser's preference, brotli before gzip when it likes both alike, none without Accept-Encoding
 * (a browser that takes only deflate gets the page uncompressed).
 */
export function pageEncodingFor(req: Request): PageEncoding {
  const accepted = req.headers['accept-encoding'];
  if (!accepted) return 'identity';
  // Each header is negotiated once, not on every request.
  let encoding = choices.get(accepted);
  if (encoding === undefined) {
    const chosen = new Negotiator(req).encoding(['br', 'gzip', 'deflate', 'identity'], { preferred: ['br', 'gzip'] });
    encoding = chosen === 'br' || chosen === 'gzip' ? chosen : 'identity';
    if (choices.size >= 100) choices.clear();
    choices.set(accepted, encoding);
  }
  return encoding;
}

/** The page's bytes in `encoding`, with the middleware's settings, at once (a board page takes well under a millisecond). */
export function encodePage(html: string, encoding: PageEncoding): Buffer {
  const bytes = Buffer.from(html);
  if (encoding === 'br') return zlib.brotliCompressSync(bytes, { params: { ...brotliParams, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
  if (encoding === 'gzip') return zlib.gzipSync(bytes, { level: gzipLevel });
  return bytes;
}
