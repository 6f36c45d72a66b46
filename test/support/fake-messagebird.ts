import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** `accept`: whether MessageBird took the message (it then shows in look-ups); by default, for a 2xx. */
export type FakeReply =
  /** `trickleMs`: write the body one character at a time, this far apart (an answer that never quite stalls). */
  | { status: number; body?: unknown; delayMs?: number; trickleMs?: number; accept?: boolean }
  /** Cut the connection without answering. */
  | { reset: true; accept?: boolean }
  /** Never answer. */
  | { hang: true; accept?: boolean };

export type ReceivedRequest = {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  at: number;
  /** True once the caller closed the connection before an answer was written (an abort). */
  abandoned: boolean;
};

/** A message as MessageBird's API returns it (https://developers.messagebird.com/api/sms-messaging/#the-message-object). */
export type StoredMessage = {
  id: string;
  href: string;
  direction: 'mt';
  type: 'sms';
  originator: string;
  body: string;
  reference: string | null;
  validity: null;
  gateway: number;
  typeDetails: Record<string, never>;
  datacoding: 'plain';
  mclass: 1;
  scheduledDatetime: null;
  createdDatetime: string;
  recipients: {
    totalCount: number;
    totalSentCount: number;
    totalDeliveredCount: number;
    totalDeliveryFailedCount: number;
    items: Array<{ recipient: number; status: 'sent'; statusDatetime: string }>;
  };
};

/**
 * A stand-in for rest.messagebird.com on a local port. Sends (POST /messages) take the next scripted
 * reply, then `fallback`; look-ups (GET /messages, GET /messages/:id) take the next scripted
 * `lookupReply`, else answer from the messages it accepted, as the real API does. Records every request.
 */
export class FakeMessageBird {
  readonly requests: ReceivedRequest[] = [];
  /** Messages MessageBird has: what a look-up finds. */
  readonly messages: StoredMessage[] = [];
  private readonly script: FakeReply[] = [];
  private readonly lookupScript: FakeReply[] = [];
  fallback: (request: ReceivedRequest) => FakeReply = (request) => ({ status: 201, body: { id: `mb-${this.sends().indexOf(request) + 1}`, reference: request.body.reference } });
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  private openSends = 0;
  /** The most sends received and not yet answered (or dropped) at any one moment. */
  peakOpenSends = 0;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Closes a connection left idle this long (Node's default is 5 s), as MessageBird's servers do on their own schedule. */
  set idleTimeoutMs(ms: number) {
    this.server!.keepAliveTimeout = ms;
  }

  reply(...replies: FakeReply[]): this {
    this.script.push(...replies);
    return this;
  }

  lookupReply(...replies: FakeReply[]): this {
    this.lookupScript.push(...replies);
    return this;
  }

  /** The send requests (POST /messages), without look-ups. */
  sends(): ReceivedRequest[] {
    return this.requests.filter((request) => request.method === 'POST');
  }

  lookups(): ReceivedRequest[] {
    return this.requests.filter((request) => request.method === 'GET');
  }

  /** Forgets requests, messages and scripts, and restores the default fallback: call after each test. */
  reset(): void {
    this.requests.length = 0;
    this.messages.length = 0;
    this.script.length = 0;
    this.lookupScript.length = 0;
    this.peakOpenSends = this.openSends;
    this.fallback = (request) => ({ status: 201, body: { id: `mb-${this.sends().indexOf(request) + 1}`, reference: request.body.reference } });
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: raw ? JSON.parse(raw) : {}, at: Date.now(), abandoned: false };
    this.requests.push(request);
    const isSend = request.method === 'POST';
    if (isSend) this.peakOpenSends = Math.max(this.peakOpenSends, ++this.openSends);
    res.on('close', () => {
      if (isSend) this.openSends -= 1;
      if (!res.writableFinished) request.abandoned = true;
    });
    const reply = isSend ? (this.script.shift() ?? this.fallback(request)) : (this.lookupScript.shift() ?? this.answerLookup(request));
    if ('status' in reply && reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    // MessageBird keeps a message it took even when the answer never reaches us.
    const accepted = reply.accept ?? ('status' in reply && reply.status >= 200 && reply.status < 300);
    if (isSend && accepted) this.store(request, 'status' in reply ? reply.body : undefined);
    if ('reset' in reply) return req.socket.destroy();
    if ('hang' in reply) return void this.hanging.add(res);
    if (res.destroyed) return;
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    if (!reply.trickleMs) return void res.end(text);
    for (const character of text) {
      if (res.destroyed) return;
      res.write(character);
      await new Promise((resolve) => setTimeout(resolve, reply.trickleMs));
    }
    res.end();
  }

  /** Makes MessageBird hold a message, as if an earlier send (one we have no answer for) got through. */
  remember(body: { originator?: string; recipients: string; body: string; reference: string }, id?: string): StoredMessage {
    this.store({ method: 'POST', path: '/messages', headers: {}, body, at: Date.now(), abandoned: false }, id === undefined ? undefined : { id });
    return this.messages.at(-1)!;
  }

  private store(request: ReceivedRequest, replyBody: unknown) {
    const given = (replyBody as { id?: unknown } | undefined)?.id;
    const id = typeof given === 'string' ? given : `mb-stored-${this.messages.length + 1}`;
    // MessageBird's format: seconds and an offset, e.g. 2016-05-03T14:26:57+00:00.
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00');
    this.messages.push({
      id,
      href: `https://rest.messagebird.com/messages/${id}`,
      direction: 'mt',
      type: 'sms',
      originator: String(request.body.originator),
      body: String(request.body.body),
      reference: typeof request.body.reference === 'string' ? request.body.reference : null,
      validity: null,
      gateway: 10,
      typeDetails: {},
      datacoding: 'plain',
      mclass: 1,
      scheduledDatetime: null,
      createdDatetime: now,
      recipients: {
        totalCount: 1,
        totalSentCount: 1,
        totalDeliveredCount: 0,
        totalDeliveryFailedCount: 0,
        items: String(request.body.recipients).split(',').map((recipient) => ({ recipient: Number(recipient.replace(/^\+/, '')), status: 'sent', statusDatetime: now })),
      },
    });
  }

  /** GET /messages/:id and GET /messages?limit=&offset= as the real API answers them. */
  private answerLookup(request: ReceivedRequest): FakeReply {
    const url = new URL(request.path, 'http://fake');
    const byId = /^\/messages\/([^/]+)$/.exec(url.pathname);
    if (byId) {
      const found = this.messages.find((message) => message.id === decodeURIComponent(byId[1]!));
      return found ? { status: 200, body: found } : { status: 404, body: { errors: [{ code: 20, description: 'message not found', parameter: null }] } };
    }
    if (url.pathname !== '/messages') return { status: 404, body: { errors: [{ code: 20, description: 'not found', parameter: null }] } };
    const limit = Number(url.searchParams.get('limit') ?? 20);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    // Newest first, as MessageBird lists them.
    const newestFirst = [...this.messages].reverse();
    const items = newestFirst.slice(offset, offset + limit);
    const page = (at: number) => `https://rest.messagebird.com/messages/?offset=${at}&limit=${limit}`;
    const links = {
      first: page(0),
      previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
      next: offset + limit < newestFirst.length ? page(offset + limit) : null,
      last: page(Math.max(0, Math.floor((newestFirst.length - 1) / limit) * limit)),
    };
    return { status: 200, body: { offset, limit, count: items.length, totalCount: newestFirst.length, links, items } };
  }
}
