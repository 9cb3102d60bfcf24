/**
 * Every refusal of the README (How a phone signs a request → Answers): status, a message naming what is wrong, and nothing stored
 * (no event, phone and key unchanged) but a counted refusal record.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { webhookSignature } from '../../src/webhooks/signing.js';
import { newWebhookId, type PhoneWebhookResponse, randomPhoneKey } from '../support/phoneRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, phoneEvent, post, register, stateOf, type TestKey } from './support.js';

const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;
let key: TestKey;
let number: string;
let before: Awaited<ReturnType<typeof stateOf>>;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now });
  key = await createKey(app);
  number = newNumber();
  await register(app, clock, key, [number]);
});
afterAll(async () => {
  await app?.close();
});
beforeEach(async () => {
  clock.advance(1_000);
  before = await stateOf(app, key, [number]);
});

/** The status, an error naming the problem, and nothing changed. */
async function expectRefused(response: PhoneWebhookResponse, status: number, message: string | RegExp) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(response.body)).toEqual(['error']);
  if (typeof message === 'string') expect(response.body.error).toContain(message);
  else expect(response.body.error).toMatch(message);
  expect(response.body.error).not.toMatch(/\n\s+at /); // no stack trace
  expect(await stateOf(app, key, [number])).toEqual(before);
}

const heartbeat = () => heartbeatEvent(clock, [number]);

describe('signature headers (401)', () => {
  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-phone-key-id'])('a missing %s header', async (header) => {
    const response = await post(app, clock, { key: key.key, event: heartbeat(), headers: { [header]: null } });
    await expectRefused(response, 401, `the ${header} header is missing`);
  });

  it.each([
    ['webhook-signature', 'garbage', 'webhook-signature is malformed'],
    ['webhook-signature', 'v1,tooshort', 'webhook-signature is malformed'],
    ['webhook-timestamp', '2026-11-22T10:00:00Z', 'webhook-timestamp is malformed'],
    ['webhook-id', 'has spaces in it', 'webhook-id is malformed'],
    ['x-phone-key-id', 'pk_NOTVALID', 'x-phone-key-id is malformed'],
  ])('a malformed %s header (%s)', async (header, value, message) => {
    const response = await post(app, clock, { key: key.key, event: heartbeat(), headers: { [header]: value } });
    await expectRefused(response, 401, message);
  });

  it('the whole key sent as x-phone-key-id is refused without echoing it', async () => {
    const response = await post(app, clock, { key: key.key, event: heartbeat(), headers: { 'x-phone-key-id': key.key } });
    await expectRefused(response, 401, 'x-phone-key-id is malformed');
    expect(response.text).not.toContain(key.key);
  });

  it('a signature made with another key', async () => {
    const response = await post(app, clock, { key: randomPhoneKey(), keyId: key.publicId, event: heartbeat() });
    await expectRefused(response, 401, `webhook-signature does not match`);
    expect(response.body.error).toContain(key.publicId);
  });

  it('a signature over a different body', async () => {
    const id = newWebhookId();
    const seconds = Math.floor(clock.now().getTime() / 1000);
    const signedBody = JSON.stringify(heartbeatEvent(clock, [number], { battery: 10 }));
    const response = await post(app, clock, {
      key: key.key,
      id,
      event: heartbeatEvent(clock, [number], { battery: 99 }),
      headers: { 'webhook-signature': webhookSignature(key.key, id, seconds, signedBody) },
    });
    await expectRefused(response, 401, 'webhook-signature does not match');
  });

  it('a timestamp 6 minutes old', async () => {
    const response = await post(app, clock, { key: key.key, event: heartbeat(), timestamp: new Date(clock.now().getTime() - 360_000) });
    await expectRefused(response, 401, /webhook-timestamp is 360 s in the past; at most 300 s/);
  });

  it('a timestamp 6 minutes ahead', async () => {
    const response = await post(app, clock, { key: key.key, event: heartbeat(), timestamp: new Date(clock.now().getTime() + 360_000) });
    await expectRefused(response, 401, /webhook-timestamp is 360 s in the future; at most 300 s/);
  });

  it('an unknown key id', async () => {
    const unknown = randomPhoneKey();
    const response = await post(app, clock, { key: unknown, event: heartbeat() });
    await expectRefused(response, 401, `unknown key id ${unknown.slice(0, 11)}`);
  });
});

describe('the body (400, 413, 415)', () => {
  it('a wrong content type (415), naming it', async () => {
    const response = await post(app, clock, { key: key.key, event: heartbeat(), headers: { 'content-type': 'text/plain' } });
    await expectRefused(response, 415, 'Content-Type must be application/json, not "text/plain"');
  });

  it('no content type (415)', async () => {
    const response = await post(app, clock, { key: key.key, event: heartbeat(), headers: { 'content-type': null } });
    await expectRefused(response, 415, 'Content-Type is missing');
  });

  it('a body over 64 KiB (413); exactly 64 KiB is accepted', async () => {
    const padded = (size: number) => {
      const event = heartbeatEvent(clock, [number], { padding: '' });
      const base = JSON.stringify(event).length;
      return JSON.stringify({ ...event, data: { ...event.data, padding: 'x'.repeat(size - base) } });
    };
    const tooLarge = await post(app, clock, { key: key.key, body: padded(64 * 1024 + 1) });
    await expectRefused(tooLarge, 413, 'larger than 64 KiB');

    const exact = padded(64 * 1024);
    expect(Buffer.byteLength(exact)).toBe(65536);
    expect((await post(app, clock, { key: key.key, body: exact })).status).toBe(202);
  });

  it('a body that is not JSON (400)', async () => {
    const response = await post(app, clock, { key: key.key, body: '{"type": "phone.heartbeat",' });
    await expectRefused(response, 400, 'the body is not JSON');
  });

  it('an empty body (400)', async () => {
    const response = await post(app, clock, { key: key.key, body: '' });
    await expectRefused(response, 400, 'the body is not JSON');
  });

  it('an unknown event type (400)', async () => {
    const response = await post(app, clock, {
      key: key.key,
      event: phoneEvent('phone.exploded', { phone_numbers: [number] }, clock.now()),
    });
    await expectRefused(response, 400, 'type: unknown event type "phone.exploded" (expected one of phone.registered, phone.heartbeat,');
  });

  const at = () => clock.now().toISOString();
  const received = (data: Record<string, unknown>) => ({
    type: 'message.phone.received',
    timestamp: at(),
    data: { phone_number: number, from: '+15550100', content: 'hi', ...data },
  });
  const withData = (type: string, data: Record<string, unknown>) => ({ type, timestamp: at(), data });
  const cases: [string, () => unknown, string][] = [
    ['a JSON array', () => [1, 2], 'body: must be a JSON object'],
    ['no type', () => ({ timestamp: at(), data: {} }), 'type: is required'],
    ['no timestamp', () => ({ type: 'phone.heartbeat', data: { phone_numbers: [number] } }), 'timestamp: is required'],
    [
      'a timestamp without a time zone',
      () => ({ type: 'phone.heartbeat', timestamp: '2026-11-22T10:00:00', data: { phone_numbers: [number] } }),
      'timestamp: must be an ISO 8601 date-time',
    ],
    ['no data', () => ({ type: 'phone.heartbeat', timestamp: at() }), 'data: is required'],
    ['data not an object', () => ({ type: 'phone.heartbeat', timestamp: at(), data: 'x' }), 'data: must be an object'],
    ['heartbeat without phone_numbers', () => withData('phone.heartbeat', { battery: 5 }), 'data.phone_numbers: is required'],
    [
      'heartbeat with no numbers',
      () => withData('phone.heartbeat', { phone_numbers: [] }),
      'data.phone_numbers: must list at least one number',
    ],
    [
      'heartbeat with three numbers',
      () => withData('phone.heartbeat', { phone_numbers: [number, '+2348012345670', '+2348012345671'] }),
      'data.phone_numbers: must list at most two numbers',
    ],
    [
      'heartbeat with a non-E.164 number',
      () => withData('phone.heartbeat', { phone_numbers: ['08012345678'] }),
      'data.phone_numbers[0]: must be an E.164 number',
    ],
    [
      'heartbeat with battery 101',
      () => withData('phone.heartbeat', { phone_numbers: [number], battery: 101 }),
      'data.battery: must be a number from 0 to 100',
    ],
    [
      'heartbeat with battery "80"',
      () => withData('phone.heartbeat', { phone_numbers: [number], battery: '80' }),
      'data.battery: must be a number from 0 to 100',
    ],
    [
      'heartbeat with charging "yes"',
      () => withData('phone.heartbeat', { phone_numbers: [number], charging: 'yes' }),
      'data.charging: must be true or false',
    ],
    ['registration without phone_numbers', () => withData('phone.registered', {}), 'data.phone_numbers: is required'],
    [
      'registration with a bad number',
      () => withData('phone.registered', { phone_numbers: [number, '+0123'] }),
      'data.phone_numbers[1]: must be an E.164 number',
    ],
    [
      'registration with device not an object',
      () => withData('phone.registered', { phone_numbers: [number], device: 'pixel' }),
      'data.device: must be an object',
    ],
    ['received without phone_number', () => received({ phone_number: undefined }), 'data.phone_number: is required'],
    ['received without from', () => received({ from: undefined }), 'data.from: is required'],
    ['received without content', () => received({ content: undefined }), 'data.content: is required'],
    ['received with content not a string', () => received({ content: 5 }), 'data.content: must be a string'],
    ['received with a bad sim', () => received({ sim: { slot: 1 } }), 'data.sim: must be a SIM name or number'],
    ['sent without message_id', () => withData('message.phone.sent', { phone_number: number }), 'data.message_id: is required'],
    ['sent without phone_number', () => withData('message.phone.sent', { message_id: 'm1' }), 'data.phone_number: is required'],
    [
      'delivered with a bad phone_number',
      () => withData('message.phone.delivered', { phone_number: '+1', message_id: 'm1' }),
      'data.phone_number: must be an E.164 number',
    ],
    ['delivered without message_id', () => withData('message.phone.delivered', { phone_number: number }), 'data.message_id: is required'],
    [
      'failed without reason',
      () => withData('message.send.failed', { phone_number: number, message_id: 'm1' }),
      'data.reason: is required',
    ],
    [
      'expired with an empty message_id',
      () => withData('message.send.expired', { phone_number: number, message_id: '' }),
      'data.message_id: must not be empty',
    ],
    ['call missed without from', () => withData('message.call.missed', { phone_number: number }), 'data.from: is required'],
    [
      'an extra field named like an operator',
      () => withData('phone.heartbeat', { phone_numbers: [number], extra: { $where: 1 } }),
      'data.extra: field name "$where" may not start with "$"',
    ],
    [
      'an extra field nested too deep',
      () => withData('phone.heartbeat', { phone_numbers: [number], deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) }),
      'nested too deep',
    ],
  ];
  it.each(cases)('%s (400)', async (_name, body, message) => {
    const response = await post(app, clock, { key: key.key, body: JSON.stringify(body()) });
    await expectRefused(response, 400, message);
  });
});

describe('phone numbers (403)', () => {
  it('a heartbeat for a number never registered', async () => {
    const stranger = newNumber();
    const response = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number, stranger]) });
    await expectRefused(response, 403, `phone number ${stranger} is not linked to key ${key.publicId}`);
    expect(await app.context.models.Phone.exists({ number: stranger })).toBeNull();
  });

  it("a message event for another key's number", async () => {
    const other = await createKey(app);
    const theirs = newNumber();
    await register(app, clock, other, [theirs]);
    before = await stateOf(app, key, [number]);
    const response = await post(app, clock, {
      key: key.key,
      event: phoneEvent('message.phone.received', { phone_number: theirs, from: '+15550100', content: 'hi' }, clock.now()),
    });
    await expectRefused(response, 403, `phone number ${theirs} is not linked to key ${key.publicId}`);
  });
});

describe('refusal records', () => {
  it('are counted per minute, reason, key and IP, without body or signature; unverified key ids are not keys of the count', async () => {
    const { WebhookRefusal } = app.context.models;
    clock.set('2026-11-22T11:00:10Z');
    for (let i = 0; i < 3; i++) {
      const response = await post(app, clock, { key: key.key, event: heartbeat(), timestamp: new Date(clock.now().getTime() - 3_600_000) });
      expect(response.status).toBe(401);
    }
    const response = await post(app, clock, { key: key.key, event: heartbeat(), headers: { 'content-type': 'text/csv' } });
    expect(response.status).toBe(415);
    for (const id of ['pk_aaaaaaaa', 'pk_bbbbbbbb']) {
      expect((await post(app, clock, { key: key.key, event: heartbeat(), headers: { 'x-phone-key-id': id } })).status).toBe(401);
    }

    // written by the recorder at most once a second: wait for its next write
    await vi.waitFor(
      async () => {
        const records = await WebhookRefusal.find({ windowStart: new Date('2026-11-22T11:00:00Z') }).lean();
        // Refused before the key was looked up: counted without a key id, so random ids cannot multiply the records.
        expect(records.find((r) => r.reason === 'stale_timestamp')).toMatchObject({ count: 3, status: 401, keyId: null, ip: '127.0.0.1' });
        expect(records.find((r) => r.reason === 'unsupported_media_type')).toMatchObject({
          count: 1,
          status: 415,
          keyId: null,
          ip: '127.0.0.1',
        });
        expect(records.filter((r) => r.reason === 'unknown_key')).toEqual([expect.objectContaining({ count: 2, keyId: null })]);
      },
      { timeout: 5_000, interval: 100 },
    );
    const stale = await WebhookRefusal.findOne({ reason: 'stale_timestamp', windowStart: new Date('2026-11-22T11:00:00Z') }).lean();
    const allowed = ['__v', '_id', 'count', 'ip', 'keyId', 'lastAt', 'message', 'reason', 'status', 'windowStart'];
    expect(Object.keys(stale!).filter((k) => !allowed.includes(k))).toEqual([]);
    expect(stale!.message).toContain('webhook-timestamp is 3600 s in the past');
    expect(JSON.stringify(stale)).not.toMatch(/v1,|phone_numbers/);

    // the log line of a refusal says why
    const lines = app.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request' && l.reason === 'stale_timestamp');
    expect(lines[0]).toMatchObject({ status: 401, keyId: key.publicId });
  });
});
