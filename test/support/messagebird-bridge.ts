import { request } from 'node:http';
import nock from 'nock';

/**
 * The SDK always calls https://rest.messagebird.com. This hands each of its requests to a fake
 * MessageBird on a local port — status, body, delays and cut connections pass through as they are —
 * and refuses every other outside connection.
 */
export function bridgeMessageBirdTo(fakeUrl: string): void {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  nock('https://rest.messagebird.com')
    .persist()
    .post(/.*/)
    // nock 15 hands a reply function the request as a fetch Request; a rejection becomes a socket error.
    .reply(async (intercepted: Request) => {
      const payload = await intercepted.text();
      const { pathname, search } = new URL(intercepted.url);
      const headers = Object.fromEntries(intercepted.headers.entries());
      return new Promise<[number, string, Record<string, string>]>((resolve, reject) => {
        const forward = request(`${fakeUrl}${pathname}${search}`, {
          method: intercepted.method,
          headers: { ...headers, host: new URL(fakeUrl).host, 'content-length': String(Buffer.byteLength(payload)) },
        }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => { text += chunk.toString(); });
          response.on('end', () => resolve([response.statusCode ?? 500, text, { 'content-type': 'application/json' }]));
          response.on('error', reject);
        });
        forward.on('error', reject);
        forward.end(payload);
      });
    });
}

export function removeMessageBirdBridge(): void {
  nock.cleanAll();
  nock.enableNetConnect();
}
