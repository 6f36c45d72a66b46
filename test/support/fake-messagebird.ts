import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeReply =
  | { status: number; body?: unknown; delayMs?: number }
  /** Cut the connection without answering. */
  | { reset: true }
  /** Never answer. */
  | { hang: true };

export type ReceivedRequest = { method: string; path: string; headers: IncomingMessage['headers']; body: Record<string, unknown>; at: number };

/**
 * A stand-in for rest.messagebird.com on a local port, scripted per test: each request takes the
 * next scripted reply, then `fallback`. Records every request it gets.
 */
export class FakeMessageBird {
  readonly requests: ReceivedRequest[] = [];
  private readonly script: FakeReply[] = [];
  fallback: (request: ReceivedRequest) => FakeReply = (request) => ({ status: 201, body: { id: `mb-${this.requests.indexOf(request) + 1}`, reference: request.body.reference } });
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  reply(...replies: FakeReply[]): this {
    this.script.push(...replies);
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: raw ? JSON.parse(raw) : {}, at: Date.now() };
    this.requests.push(request);
    const reply = this.script.shift() ?? this.fallback(request);
    if ('reset' in reply) return req.socket.destroy();
    if ('hang' in reply) return void this.hanging.add(res);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }
}
