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
  bridge.connectDelayMs = 0;
  bridge.tls = false;
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

  it('calls a failed TLS handshake "not sent": the request never left', async () => {
    bridge.tls = true;
    const outcome = await sender().send(message);
    expect(outcome).toMatchObject({ kind: 'not-sent', statusCode: undefined });
    expect(outcome.kind === 'not-sent' && outcome.reasons[0]).toMatch(/^The secure connection to MessageBird failed \((ERR_SSL_|ERR_TLS_|EPROTO)/);
    expect(fake.requests).toHaveLength(0);
  });

});
