/** The event schemas (src/webhooks/events.ts): pure, no server, no database. */
import { describe, expect, it } from 'vitest';
import { fieldPath, parseWebhookEvent, phoneNumbersOf, WEBHOOK_EVENT_TYPES, type WebhookEvent } from '../../../src/webhooks/events.js';

const AT = '2026-11-22T10:00:00Z';
const PHONE = '+2348012345678';

/** One valid body per type, with only the required fields. */
const VALID: Record<string, Record<string, unknown>> = {
  'phone.registered': { phone_numbers: [PHONE] },
  'phone.heartbeat': { phone_numbers: [PHONE] },
  'message.phone.received': { phone_number: PHONE, from: '+15550100', content: 'hi' },
  'message.phone.sent': { phone_number: PHONE, message_id: 'm1' },
  'message.phone.delivered': { phone_number: PHONE, message_id: 'm1' },
  'message.send.failed': { phone_number: PHONE, message_id: 'm1', reason: 'no credit' },
  'message.send.expired': { phone_number: PHONE, message_id: 'm1' },
  'message.call.missed': { phone_number: PHONE, from: '+15550100' },
};

const body = (type: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type,
  timestamp: AT,
  data,
  ...extra,
});

function refusal(input: unknown) {
  const parsed = parseWebhookEvent(input);
  if (parsed.ok) throw new Error(`expected a refusal, got ${JSON.stringify(parsed.event)}`);
  return parsed;
}

describe('parseWebhookEvent', () => {
  it('covers the eight event types of the README', () => {
    expect(Object.keys(VALID).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
  });

  it.each(Object.entries(VALID))('accepts a minimal %s', (type, data) => {
    const parsed = parseWebhookEvent(body(type, data));
    expect(parsed).toEqual({ ok: true, event: body(type, data) });
  });

  it('keeps unknown extra fields, at the top and in data', () => {
    const input = body('phone.heartbeat', { phone_numbers: [PHONE], battery: 81, charging: false, signal: { dbm: -91 } }, { app: 'x' });
    expect(parseWebhookEvent(input)).toEqual({ ok: true, event: input });
  });

  it('accepts timestamps with an offset, not without a time zone', () => {
    expect(parseWebhookEvent({ ...body('phone.heartbeat', VALID['phone.heartbeat']!), timestamp: '2026-11-22T11:00:00+01:00' }).ok).toBe(
      true,
    );
    expect(refusal({ ...body('phone.heartbeat', VALID['phone.heartbeat']!), timestamp: '2026-11-22T10:00:00' })).toMatchObject({
      reason: 'invalid_field',
      message: expect.stringMatching(/^timestamp: must be an ISO 8601 date-time with a time zone/),
    });
  });

  it.each([
    [null, 'body: must be a JSON object'],
    [[1, 2], 'body: must be a JSON object'],
    ['text', 'body: must be a JSON object'],
    [{ timestamp: AT, data: {} }, 'type: is required'],
    [body('phone.heartbeat', {}), 'data.phone_numbers: is required'],
    [body('phone.heartbeat', { phone_numbers: [] }), 'data.phone_numbers: must list at least one number'],
    [
      body('phone.heartbeat', { phone_numbers: [PHONE, '+2348012345679', '+2348012345670'] }),
      'data.phone_numbers: must list at most two numbers',
    ],
    [body('phone.heartbeat', { phone_numbers: ['08012345678'] }), 'data.phone_numbers[0]: must be an E.164 number'],
    [body('phone.heartbeat', { phone_numbers: [PHONE], battery: 101 }), 'data.battery: must be a number from 0 to 100'],
    [body('phone.heartbeat', { phone_numbers: [PHONE], battery: '80' }), 'data.battery: must be a number from 0 to 100'],
    [body('phone.heartbeat', { phone_numbers: [PHONE], charging: 'yes' }), 'data.charging: must be true or false'],
    [body('phone.heartbeat', 'x' as unknown as Record<string, unknown>), 'data: must be an object'],
    [{ type: 'phone.heartbeat', data: { phone_numbers: [PHONE] } }, 'timestamp: is required'],
    [body('message.send.failed', { phone_number: PHONE, message_id: 'm1' }), 'data.reason: is required'],
    [body('message.phone.received', { phone_number: PHONE, from: '', content: 'x' }), 'data.from: must not be empty'],
    [body('message.phone.sent', { phone_number: PHONE, message_id: 'x'.repeat(257) }), 'data.message_id: must be at most 256 characters'],
    [body('message.call.missed', { phone_number: PHONE, from: '+1555', sim: true }), 'data.sim: must be a SIM name or number'],
  ])('refuses %j, naming the field (%s)', (input, message) => {
    const parsed = refusal(input);
    expect(parsed.reason).toBe('invalid_field');
    expect(parsed.message.startsWith(message), parsed.message).toBe(true);
  });

  it('tells an unknown type from an invalid one, and lists the known types', () => {
    expect(refusal(body('phone.exploded', {}))).toEqual({
      ok: false,
      reason: 'unknown_type',
      message: `type: unknown event type "phone.exploded" (expected one of ${WEBHOOK_EVENT_TYPES.join(', ')})`,
    });
    expect(refusal(body(42 as unknown as string, {})).message).toMatch(/^type: unknown event type 42 /);
    // Inherited property names are not event types.
    expect(refusal(body('constructor', {})).reason).toBe('unknown_type');
  });

  it('refuses extra field names MongoDB would read as operators or paths, and absurd nesting', () => {
    expect(refusal(body('phone.heartbeat', { phone_numbers: [PHONE], $set: 1 })).message).toMatch(/^data: field name "\$set" may not/);
    expect(refusal(body('phone.heartbeat', { phone_numbers: [PHONE], x: [{ 'a.b': 1 }] })).message).toMatch(
      /^data\.x\[0\]: field name "a\.b"/,
    );
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { d: deep };
    expect(refusal(body('phone.heartbeat', { phone_numbers: [PHONE], deep })).message).toMatch(/nested too deep \(at most 16 levels\)$/);
  });
});

describe('phoneNumbersOf', () => {
  const parse = (type: string, data: Record<string, unknown>) => (parseWebhookEvent(body(type, data)) as { event: WebhookEvent }).event;

  it('lists every number an event is about, once', () => {
    expect(phoneNumbersOf(parse('phone.heartbeat', { phone_numbers: [PHONE, PHONE] }))).toEqual([PHONE]);
    expect(phoneNumbersOf(parse('phone.registered', { phone_numbers: [PHONE, '+2348012345679'] }))).toEqual([PHONE, '+2348012345679']);
    expect(phoneNumbersOf(parse('message.send.expired', VALID['message.send.expired']!))).toEqual([PHONE]);
  });
});

describe('fieldPath', () => {
  it('writes paths the way a developer reads them', () => {
    expect(fieldPath(['data', 'phone_numbers', 0])).toBe('data.phone_numbers[0]');
    expect(fieldPath([])).toBe('body');
    expect(fieldPath([0, 'a'])).toBe('[0].a');
  });
});
