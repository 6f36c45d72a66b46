// How each compression setting pays off for one page on a LAN: the CPU it costs the server per
// response against the transfer time it saves, measured on the page's own bytes.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export type CompressionResult = { name: string; bytes: number; compressMs: number; lanMs: number; totalMs: number };

/** Transfer time at `mbitPerSecond` (a kitchen's Wi-Fi or LAN). */
const transferMs = (bytes: number, mbitPerSecond: number) => (bytes * 8) / (mbitPerSecond * 1000);

export function measureCompression(page: Buffer, options: { mbitPerSecond: number; repeats: number }): CompressionResult[] {
  const settings: Array<[string, (input: Buffer) => Buffer]> = [
    ['none', (input) => input],
    ['gzip level 1', (input) => gzipSync(input, { level: 1 })],
    ['gzip level 6 (default)', (input) => gzipSync(input, { level: 6 })],
    ['gzip level 9', (input) => gzipSync(input, { level: 9 })],
    ['brotli quality 1', (input) => brotliCompressSync(input, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } })],
    ['brotli quality 4 (compression’s default)', (input) => brotliCompressSync(input, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } })],
    ['brotli quality 11', (input) => brotliCompressSync(input, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })],
  ];
  return settings.map(([name, compress]) => {
    const times: number[] = [];
    let bytes = 0;
    for (let repeat = 0; repeat < options.repeats; repeat += 1) {
      const started = performance.now();
      bytes = compress(page).length;
      times.push(performance.now() - started);
    }
    const compressMs = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    const lanMs = transferMs(bytes, options.mbitPerSecond);
    return { name, bytes, compressMs, lanMs, totalMs: compressMs + lanMs };
  });
}
