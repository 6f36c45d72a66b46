import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMessageBirdSender } from '../src/notifications/messagebird-sender.ts';
import { FakeMessageBird } from './support/fake-messagebird.ts';
import { bridgeMessageBirdTo, removeMessageBirdBridge } from './support/messagebird-bridge.ts';
import type { Bridge } from './support/messagebird-bridge.ts';

// The SDK over real sockets to a fake MessageBird: what a slow or broken network does to a send.
const message = { recipient: '+319876543211', body: 'Hello, Mike', reference: 'ref-1' };
const timedOut = { kind: 'unknown', statusCode: undefined, code: undefined, reasons: ['MessageBird did not answer within 0.3 seconds'] };

let fake: FakeMessageBird;
let bridge: Bridge;
beforeAll(async () => {
  fake = new FakeMessageBird();
  bridge = bridgeMessageBirdTo(await fake.start());
});
afterAll(async () => {
  removeMessageBirdBridge();
  await fake.close();
});
afterEach(() => {
  fake.reset();
  fake.idleTimeoutMs = 5000;
  bridge.connectDelayMs = 0;
  bridge.tls = false;
  // Each test starts on a new connection, whatever the last one left in the agent's pool.
  bridge.closeConnections();
});

function sender(timeoutMs = 300) {
  return createMessageBirdSender({ apiKey: 'test_abcdefghijklmnop', originator: 'OmNomNom', timeoutMs });
}

describe('MessageBird sender over a real connection', () => {
  it('sends through the SDK and takes MessageBird\'s id', async () => {
    expect(await sender().send(message)).toEqual({ kind: 'accepted', providerMessageId: 'mb-1' });
    expect(fake.sends()[0]).toMatchObject({ path: '/messages', body: { recipients: '+319876543211', reference: 'ref-1' } });
  });

  it('gives up on a MessageBird that never answers as unknown, with the request aborted', async () => {
    fake.reply({ hang: true, accept: false });
    expect(await sender().send(message)).toEqual(timedOut);
    expect(bridge.sockets.at(-1)!.destroyed).toBe(true);
    await expect.poll(() => fake.sends()[0]?.abandoned, { timeout: 2000, interval: 5 }).toBe(true);
  });

  it('gives up on an answer that trickles in past the time limit, aborting it', async () => {
    fake.reply({ status: 201, body: { id: 'x'.repeat(40) }, trickleMs: 50 });
    const started = Date.now();
    expect(await sender().send(message)).toEqual(timedOut);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(bridge.sockets.at(-1)!.destroyed).toBe(true);
    await expect.poll(() => fake.sends()[0]?.abandoned, { timeout: 2000, interval: 5 }).toBe(true);
  });

  it('aborts a connection that takes longer than the time limit to open, so the request is never written', async () => {
    bridge.connectDelayMs = 600;
    expect(await sender().send(message)).toEqual(timedOut);
    // A destroyed socket never connects or writes: nothing can land after we gave up.
    expect(bridge.sockets.at(-1)!.destroyed).toBe(true);
  });

  it('sends one message after another over one kept-alive connection, leaving no listener behind on it', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const client = sender();
      const opened = bridge.sockets.length;
      expect(await client.send(message)).toMatchObject({ kind: 'accepted' });
      const socket = bridge.sockets.at(-1)!;
      const listeners = socket.listenerCount('timeout');
      for (let index = 2; index <= 15; index += 1) {
        expect(await client.send({ ...message, reference: `ref-${index}` })).toEqual({ kind: 'accepted', providerMessageId: `mb-${index}` });
      }
      expect(bridge.sockets.length - opened).toBe(1);
      expect(socket.listenerCount('timeout')).toBe(listeners);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('opens a new connection when MessageBird closed the idle one, and the send goes through', async () => {
    fake.idleTimeoutMs = 50;
    const client = sender();
    expect(await client.send(message)).toMatchObject({ kind: 'accepted' });
    const first = bridge.sockets.at(-1)!;
    await expect.poll(() => first.destroyed, { timeout: 2000, interval: 10 }).toBe(true);
    expect(await client.send({ ...message, reference: 'ref-2' })).toEqual({ kind: 'accepted', providerMessageId: 'mb-2' });
    expect(bridge.sockets.at(-1)).not.toBe(first);
    expect(fake.sends()).toHaveLength(2);
  });

  it('calls a failed TLS handshake "not sent": the request never left', async () => {
    bridge.tls = true;
    const outcome = await sender().send(message);
    expect(outcome).toMatchObject({ kind: 'not-sent', statusCode: undefined });
    expect(outcome.kind === 'not-sent' && outcome.reasons[0]).toMatch(/^The secure connection to MessageBird failed \((ERR_SSL_|ERR_TLS_|EPROTO)/);
    expect(fake.requests).toHaveLength(0);
  });

});
