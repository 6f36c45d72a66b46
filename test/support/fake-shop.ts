import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the shop's server does with one request: answer (after a wait), or never answer. */
export type ShopAnswer = { status: number; delayMs?: number; location?: string } | 'hang';

export type ShopRequest = { path: string; headers: IncomingHttpHeaders; body: string };

/**
 * A shop's server on localhost, for the status updates (webhooks): it records every request as it
 * came (headers and the raw body, for checking the signature) and answers as `answer` says.
 */
export class FakeShop {
  readonly received: ShopRequest[] = [];
  answer: (request: ShopRequest, index: number) => ShopAnswer = () => ({ status: 200 });
  /** Requests being answered right now, and the most there ever were at once. */
  open = 0;
  mostOpen = 0;
  private readonly server: Server;
  url = '';

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        const index = this.received.push(request) - 1;
        const answer = this.answer(request, index);
        this.open += 1;
        this.mostOpen = Math.max(this.mostOpen, this.open);
        // Counted until the answer is written (before the sender can have it and start another
        // request), or until a request never answered is abandoned.
        let counted = true;
        const done = () => {
          if (counted) this.open -= 1;
          counted = false;
        };
        res.on('finish', done);
        res.on('close', done);
        if (answer === 'hang') return;
        setTimeout(() => {
          res.writeHead(answer.status, answer.location ? { location: answer.location } : {});
          res.end('ok');
        }, answer.delayMs ?? 0);
      });
    });
  }

  static async start(): Promise<FakeShop> {
    const shop = new FakeShop();
    await new Promise<void>((resolve) => shop.server.listen(0, '127.0.0.1', resolve));
    shop.url = `http://127.0.0.1:${(shop.server.address() as AddressInfo).port}/hooks/order-desk`;
    return shop;
  }

  /** The event ids received, in order of arrival. */
  ids(): string[] {
    return this.received.map((request) => String(request.headers['webhook-id']));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
