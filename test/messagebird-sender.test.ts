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
    ['a 500 with a JSON body carrying an id but no errors', 500, '{"id":"x"}'],
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
  /** A message as MessageBird lists it, `minutes` after the send started. */
  const item = (id: string, reference: string | null, minutes: number, recipient = 319876543211) => ({
    id,
    reference,
    createdDatetime: new Date(since.getTime() + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    recipients: { totalCount: 1, items: [{ recipient, status: 'sent' }] },
  });
  const listed = (items: unknown[], offset: number, totalCount: number) => ({ offset, limit: 100, count: items.length, totalCount, links: {}, items });
  const others = (count: number, minutes: number) => Array.from({ length: count }, (_, index) => item(`other-${index}`, `ref-other-${index}`, minutes));

  it('pages through the newest messages with limit and offset and finds ours by its reference and recipient', async () => {
    const asked: Array<Record<string, string>> = [];
    const ask = (parameters: Record<string, string>) => { asked.push(parameters); return true; };
    nock(api)
      .get('/messages').query(ask).matchHeader('authorization', 'AccessKey test_abcdefghijklmnop').reply(200, listed(others(100, 5), 0, 250))
      .get('/messages').query(ask).reply(200, listed([item('other', 'ref-0', 1), item('mb-42', 'ref-1', 0), ...others(98, -3)], 100, 250));

    expect(await sender().lookup(query)).toEqual({ kind: 'found', providerMessageId: 'mb-42' });
    expect(asked).toEqual([{ limit: '100', offset: '0' }, { limit: '100', offset: '100' }]);
  });

  it('stops paging at messages older than the send (less a minute for clocks) and says not found', async () => {
    nock(api).get('/messages').query(true).reply(200, listed([item('newer', 'ref-0', 2), item('older', 'ref-9', -2)], 0, 5000));
    expect(await sender().lookup(query)).toEqual({ kind: 'not-found' });
  });

  it('says not found at the end of the list', async () => {
    nock(api).get('/messages').query(true).reply(200, listed([item('other', 'ref-0', 1)], 0, 1));
    expect(await sender().lookup(query)).toEqual({ kind: 'not-found' });
  });

  it('does not take a message with our reference to another number for ours', async () => {
    nock(api).get('/messages').query(true).reply(200, listed([item('mb-42', 'ref-1', 0, 319999999999)], 0, 1));
    expect(await sender().lookup(query)).toEqual({ kind: 'not-found' });
  });

  it('gives up after a bounded number of pages, as unavailable rather than not found', async () => {
    nock(api).get('/messages').query(true).times(20).reply(200, (uri: string) => listed(others(100, 1), Number(new URL(uri, api).searchParams.get('offset')), 100_000));
    expect(await sender().lookup(query)).toMatchObject({ kind: 'unavailable', reason: 'More than 2000 messages were sent since; too many to look through' });
  });

  it('reads the message by its id when that is known', async () => {
    nock(api).get('/messages/mb-7').reply(200, { id: 'mb-7', reference: 'ref-1' });
    expect(await sender().lookup({ ...query, providerMessageId: 'mb-7' })).toEqual({ kind: 'found', providerMessageId: 'mb-7' });
  });

  it('looks through the list when MessageBird does not know the id', async () => {
    nock(api)
      .get('/messages/mb-7').reply(404, { errors: [{ code: 20, description: 'message not found', parameter: null }] })
      .get('/messages').query(true).reply(200, listed([item('mb-8', 'ref-1', 0)], 0, 1));
    expect(await sender().lookup({ ...query, providerMessageId: 'mb-7' })).toEqual({ kind: 'found', providerMessageId: 'mb-8' });
  });

  it.each([
    ['a 503 with an error body', (scope: nock.Interceptor) => scope.reply(503, { errors: [{ code: 99, description: 'Internal error' }] })],
    ['a 500 with a JSON body without errors', (scope: nock.Interceptor) => scope.reply(500, listed([], 0, 0))],
    ['a reset connection', (scope: nock.Interceptor) => scope.replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))],
    ['a 200 without a list', (scope: nock.Interceptor) => scope.reply(200, '{}')],
    ['a 200 that is not JSON', (scope: nock.Interceptor) => scope.reply(200, 'OK')],
  ])('says unavailable, never not found, after %s', async (_name, answer) => {
    answer(nock(api).get('/messages').query(true));
    expect(await sender().lookup(query)).toMatchObject({ kind: 'unavailable' });
  });

  it('says unavailable when reading by id fails', async () => {
    nock(api).get('/messages/mb-7').reply(503, { errors: [{ code: 99, description: 'Internal error' }] });
    expect(await sender().lookup({ ...query, providerMessageId: 'mb-7' })).toEqual({ kind: 'unavailable', reason: 'Internal error' });
  });
});
