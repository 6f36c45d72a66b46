import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMessageBirdSender } from '../src/notifications/messagebird-sender.ts';

const api = 'https://rest.messagebird.com';
const message = { recipient: '+319876543211', body: 'Hello, Mike', reference: 'ref-1' };

function sender(timeoutMs = 2000) {
  return createMessageBirdSender({ apiKey: 'test_abcdefghijklmnop', originator: 'OmNomNom', timeoutMs });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

describe('MessageBird sender: send', () => {
  it('POSTs the message to /messages with the access key, originator, recipient, body and reference', async () => {
    let captured: Record<string, unknown> | undefined;
    nock(api)
      .post('/messages', (body: Record<string, unknown>) => { captured = body; return true; })
      .matchHeader('authorization', 'AccessKey test_abcdefghijklmnop')
      .matchHeader('content-type', 'application/json')
      .reply(201, { id: 'e8077d803532c0b5937c639b60216938', recipients: { totalCount: 1 } });

    const result = await sender().send({ ...message, reportUrl: 'https://desk.example/webhooks/messagebird/status' });

    expect(result).toEqual({ kind: 'accepted', providerMessageId: 'e8077d803532c0b5937c639b60216938' });
    expect(captured).toEqual({
      originator: 'OmNomNom',
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

  it('calls a 422 refused, keeping each provider error', async () => {
    nock(api).post('/messages').reply(422, {
      errors: [
        { code: 9, description: 'no (correct) recipients found', parameter: 'recipients' },
        { code: 21, description: 'Request not allowed (incorrect access_key)', parameter: null },
      ],
    });
    expect(await sender().send(message)).toEqual({
      kind: 'refused',
      statusCode: 422,
      code: 9,
      reasons: ['no (correct) recipients found', 'Request not allowed (incorrect access_key)'],
    });
  });

  it('calls a 401 without an error body refused, in plain words', async () => {
    nock(api).post('/messages').reply(401, 'Unauthorized');
    expect(await sender().send(message)).toMatchObject({ kind: 'refused', statusCode: 401, reasons: ['MessageBird answered HTTP 401'] });
  });

  it.each([429, 500, 503])('calls HTTP %i with MessageBird\'s error body "try later"', async (status) => {
    nock(api).post('/messages').reply(status, { errors: [{ code: 99, description: 'Internal error', parameter: null }] });
    expect(await sender().send(message)).toMatchObject({ kind: 'try-later', statusCode: status, reasons: ['Internal error'] });
  });

  it('calls a 429 without a body "try later": MessageBird took nothing', async () => {
    nock(api).post('/messages').reply(429);
    expect(await sender().send(message)).toMatchObject({ kind: 'try-later', statusCode: 429 });
  });

  // The request arrived; whether MessageBird took it is unknown, so it must be looked up, not resent.
  it.each([
    ['a 502 from a proxy (HTML body)', 502, '<html>Bad gateway</html>'],
    ['a 500 with an empty body', 500, ''],
    ['a 500 with a JSON body without errors', 500, '{}'],
    ['a 201 with an empty body', 201, ''],
    ['a 201 with a body that is not JSON', 201, 'OK'],
    ['a 200 without an id', 200, '{"recipients":{}}'],
  ])('calls %s unknown', async (_name, status, body) => {
    nock(api).post('/messages').reply(status, body);
    const outcome = await sender().send(message);
    expect(outcome).toMatchObject({ kind: 'unknown', statusCode: status });
  });

  it.each([
    ['ECONNREFUSED', 'MessageBird refused the connection'],
    ['ENOTFOUND', 'MessageBird could not be found: is this machine online?'],
    ['EAI_AGAIN', 'MessageBird could not be found: is this machine online?'],
  ])('calls %s "not sent": the request never left', async (code, reason) => {
    nock(api).post('/messages').replyWithError(Object.assign(new Error(code), { code }));
    expect(await sender().send(message)).toEqual({ kind: 'not-sent', statusCode: undefined, code: undefined, reasons: [reason] });
  });

  it('calls a reset connection unknown: the request may have arrived', async () => {
    nock(api).post('/messages').replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(await sender().send(message)).toMatchObject({ kind: 'unknown', reasons: ['The connection to MessageBird was cut off before it answered'] });
  });

  it('does not change the message it was given', async () => {
    nock(api).post('/messages').reply(201, { id: 'x' });
    const original = { ...message };
    await sender().send(original);
    expect(original).toEqual(message);
  });
});

describe('MessageBird sender: look-up', () => {
  const since = new Date('2026-11-23T18:00:00.000Z');
  const query = { reference: 'ref-1', recipient: '+319876543211', providerMessageId: undefined, since };
  const listed = (items: unknown[]) => ({ offset: 0, limit: 50, count: items.length, totalCount: items.length, links: {}, items });

  it('lists the messages to the recipient around the send and finds ours by its reference', async () => {
    let search: URLSearchParams | undefined;
    nock(api)
      .get('/messages')
      .query((parameters) => { search = new URLSearchParams(parameters as Record<string, string>); return true; })
      .matchHeader('authorization', 'AccessKey test_abcdefghijklmnop')
      .reply(200, listed([{ id: 'other', reference: 'ref-0' }, { id: 'mb-42', reference: 'ref-1' }]));

    expect(await sender().lookup(query)).toEqual({ kind: 'found', providerMessageId: 'mb-42' });
    expect(search?.get('recipient')).toBe('319876543211');
    expect(search?.get('from')).toBe('2026-11-23T17:59:00.000Z');
    expect(Date.parse(search!.get('until')!)).toBeGreaterThan(Date.now());
  });

  it('says not found when no message carries our reference', async () => {
    nock(api).get('/messages').query(true).reply(200, listed([{ id: 'other', reference: 'ref-0' }]));
    expect(await sender().lookup(query)).toEqual({ kind: 'not-found' });
  });

  it('reads the message by its id when that is known', async () => {
    nock(api).get('/messages/mb-7').reply(200, { id: 'mb-7', reference: 'ref-1' });
    expect(await sender().lookup({ ...query, providerMessageId: 'mb-7' })).toEqual({ kind: 'found', providerMessageId: 'mb-7' });
  });

  it('says unavailable, never not found, when the look-up fails', async () => {
    nock(api).get('/messages').query(true).reply(503, { errors: [{ code: 99, description: 'Internal error' }] });
    expect(await sender().lookup(query)).toMatchObject({ kind: 'unavailable' });
    nock(api).get('/messages').query(true).replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    expect(await sender().lookup(query)).toMatchObject({ kind: 'unavailable' });
    nock(api).get('/messages').query(true).reply(200, '{}');
    expect(await sender().lookup(query)).toMatchObject({ kind: 'unavailable' });
  });
});
