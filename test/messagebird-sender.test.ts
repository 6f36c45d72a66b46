import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMessageBirdSender } from '../src/notifications/messagebird-sender.ts';
import { SmsSendError } from '../src/notifications/sms-sender.ts';

const api = 'https://rest.messagebird.com';
const message = { recipient: '+319876543211', body: 'Hello, Mike', reference: 'ref-1' };

function sender(timeoutMs = 2000) {
  return createMessageBirdSender({ apiKey: 'test_abcdefghijklmnop', originator: 'OmNomNom', timeoutMs });
}

async function sendError(promise: Promise<unknown>): Promise<SmsSendError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(SmsSendError);
  return error as SmsSendError;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

describe('MessageBird sender', () => {
  it('POSTs the message to /messages with the access key, originator, recipient, body and reference', async () => {
    let captured: Record<string, unknown> | undefined;
    nock(api)
      .post('/messages', (body: Record<string, unknown>) => { captured = body; return true; })
      .matchHeader('authorization', 'AccessKey test_abcdefghijklmnop')
      .matchHeader('content-type', 'application/json')
      .reply(201, { id: 'e8077d803532c0b5937c639b60216938', recipients: { totalCount: 1 } });

    const result = await sender().send({ ...message, reportUrl: 'https://desk.example/webhooks/messagebird/status' });

    expect(result).toEqual({ providerMessageId: 'e8077d803532c0b5937c639b60216938', sent: true });
    expect(captured).toEqual({
      originator: 'OmNomNom',
      // The SDK joins the recipients list into one comma-separated string.
      recipients: '+319876543211',
      body: 'Hello, Mike',
      reference: 'ref-1',
      reportUrl: 'https://desk.example/webhooks/messagebird/status',
    });
  });

  it('leaves out reportUrl when there is none', async () => {
    let captured: Record<string, unknown> | undefined;
    nock(api).post('/messages', (body: Record<string, unknown>) => { captured = body; return true; }).reply(201, { id: 'x' });
    await sender().send(message);
    expect(captured).not.toHaveProperty('reportUrl');
  });

  it('turns a 422 into a rejection carrying each provider error', async () => {
    nock(api).post('/messages').reply(422, {
      errors: [
        { code: 9, description: 'no (correct) recipients found', parameter: 'recipients' },
        { code: 21, description: 'Request not allowed (incorrect access_key)', parameter: null },
      ],
    });

    const error = await sendError(sender().send(message));

    expect(error.kind).toBe('rejected');
    expect(error.statusCode).toBe(422);
    expect(error.reasons).toEqual(['no (correct) recipients found', 'Request not allowed (incorrect access_key)']);
    expect(error.providerErrors[0]).toEqual({ code: 9, description: 'no (correct) recipients found', parameter: 'recipients' });
  });

  it('treats 401 with no error body as a rejection in plain words', async () => {
    nock(api).post('/messages').reply(401, 'Unauthorized');
    const error = await sendError(sender().send(message));
    expect(error.kind).toBe('rejected');
    expect(error.reasons).toEqual(['MessageBird answered HTTP 401']);
  });

  it.each([429, 500, 503])('marks HTTP %i as the provider being unavailable', async (status) => {
    nock(api).post('/messages').reply(status, { errors: [{ code: 99, description: 'Internal error', parameter: null }] });
    const error = await sendError(sender().send(message));
    expect(error.kind).toBe('provider-unavailable');
    expect(error.statusCode).toBe(status);
  });

  it('reports a refused connection as a network error in plain words', async () => {
    nock(api).post('/messages').replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const error = await sendError(sender().send(message));
    expect(error.kind).toBe('network');
    expect(error.statusCode).toBeUndefined();
    expect(error.reasons).toEqual(['MessageBird refused the connection']);
  });

  it('reports a reset connection as a network error', async () => {
    nock(api).post('/messages').replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const error = await sendError(sender().send(message));
    expect(error.kind).toBe('network');
    expect(error.reasons[0]).toContain('cut off');
  });

  it('gives up after the timeout and says so', async () => {
    nock(api).post('/messages').delay(3000).reply(201, { id: 'late' });
    const started = Date.now();
    const error = await sendError(sender(300).send(message));
    expect(error.kind).toBe('timeout');
    expect(error.reasons[0]).toBe('MessageBird did not answer within 0.3 seconds');
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('does not change the message it was given', async () => {
    nock(api).post('/messages').reply(201, { id: 'x' });
    const original = { ...message };
    await sender().send(original);
    expect(original).toEqual(message);
  });
});

describe('MessageBird sender sockets', () => {
  it('keeps no socket alive for reuse, since the SDK leaks a listener on every reused socket', async () => {
    // https.request reads the agent from the CommonJS module object, which the default import is.
    const { default: https } = await import('node:https');
    sender();
    expect(https.globalAgent.options.keepAlive).toBeFalsy();
  });
});
