/** Accepted phone webhooks: signing (ours and svix's), what each event changes, duplicates. */
import { Webhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook, webhookSignature } from '../../src/webhooks/signing.js';
import { newWebhookId } from '../support/phoneRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, phoneEvent, post, register, stateOf, type TestKey } from './support.js';

const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now });
});
afterAll(async () => {
  await app?.close();
});

/** POST with exactly these headers (the simulator's or svix's signature). */
async function rawPost(headers: Record<string, string>, body: string) {
  const response = await fetch(`${app.baseUrl}/webhooks/phone`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('signatures', () => {
  let key: TestKey;
  let number: string;
  beforeAll(async () => {
    key = await createKey(app);
    number = newNumber();
    await register(app, clock, key, [number]);
  });

  it("accepts a request signed by the simulator's signing code", async () => {
    const body = JSON.stringify(heartbeatEvent(clock, [number]));
    const response = await rawPost(signWebhook({ key: key.key, body, timestamp: clock.now() }), body);
    expect(response).toMatchObject({ status: 202, body: { status: 'accepted' } });
  });

  it("accepts a request signed by svix's own sign, and the two signers agree", async () => {
    const body = JSON.stringify(heartbeatEvent(clock, [number]));
    const webhookId = newWebhookId();
    const svixSignature = new Webhook(key.key, { format: 'raw' }).sign(webhookId, clock.now(), body);
    const seconds = Math.floor(clock.now().getTime() / 1000);
    expect(webhookSignature(key.key, webhookId, seconds, body)).toBe(svixSignature);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': String(seconds),
      'webhook-signature': svixSignature,
      'x-phone-key-id': key.publicId,
    };
    expect(await rawPost(headers, body)).toMatchObject({ status: 202, body: { status: 'accepted', webhook_id: webhookId } });
  });

  it('accepts several space-separated signatures when one of them matches (e.g. during a key change)', async () => {
    const body = JSON.stringify(heartbeatEvent(clock, [number]));
    const headers = signWebhook({ key: key.key, body, timestamp: clock.now() });
    const other = webhookSignature(`${key.key.slice(0, -1)}x`, headers['webhook-id']!, Number(headers['webhook-timestamp']), body);
    headers['webhook-signature'] = `v1a,c29tZXRoaW5nIGVsc2U= ${other} ${headers['webhook-signature']}`;
    expect((await rawPost(headers, body)).status).toBe(202);
  });

  it('accepts a charset parameter and timestamps up to 5 minutes off', async () => {
    for (const offsetMs of [-300_000, 299_000]) {
      const response = await post(app, clock, {
        key: key.key,
        event: heartbeatEvent(clock, [number]),
        timestamp: new Date(clock.now().getTime() + offsetMs),
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      expect(response.status, JSON.stringify(response.body)).toBe(202);
    }
  });
});

describe('what accepted events change', () => {
  it('phone.registered links the numbers to the key and moves them from another key', async () => {
    const first = await createKey(app);
    const second = await createKey(app);
    const [a, b] = [newNumber(), newNumber()];
    await register(app, clock, first, [a, b]);
    expect((await app.context.domain.keys.get(first.publicId)).phoneNumbers).toEqual([a, b].sort());

    await register(app, clock, second, [b]);
    expect((await app.context.domain.keys.get(first.publicId)).phoneNumbers).toEqual([a]);
    expect((await app.context.domain.keys.get(second.publicId)).phoneNumbers).toEqual([b]);
    const moved = await app.context.models.AuditEntry.findOne({ action: 'phone.linked', keyId: second.keyId, phoneNumber: b }).lean();
    expect(moved).toMatchObject({ actor: `phone:${second.publicId}`, details: { from: first.publicId } });

    // the old key may no longer speak for the moved number
    const refused = await post(app, clock, { key: first.key, event: heartbeatEvent(clock, [b]) });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toContain(b);
  });

  it('a heartbeat sets last seen (server time), charging, battery and state up; keeps alertId; every event counts on the key', async () => {
    const key = await createKey(app);
    const number = newNumber();
    await register(app, clock, key, [number]);
    const { Phone, Key, PhoneEvent } = app.context.models;
    const afterRegistration = await Key.findOne({ keyId: key.keyId }).lean();
    expect(afterRegistration).toMatchObject({ timesUsed: 1, lastUsedAt: clock.now() });
    expect(await Phone.findOne({ number }).lean()).toMatchObject({ keyId: key.keyId, state: 'new', lastHeartbeatAt: null });

    // a phone that was down with an open alert: the heartbeat sets it up and leaves the alert to the job
    const alertId = new (await import('mongoose')).Types.ObjectId();
    await Phone.updateOne({ number }, { $set: { state: 'down', alertId } });

    clock.advance(60_000);
    const sentAt = new Date(clock.now().getTime() - 20_000); // the phone's own clock is behind
    const response = await post(app, clock, {
      key: key.key,
      event: phoneEvent('phone.heartbeat', { phone_numbers: [number], charging: false, battery: 42.5, firmware: 'x1' }, sentAt),
      timestamp: sentAt,
    });
    expect(response.status).toBe(202);
    const phone = await Phone.findOne({ number }).lean();
    expect(phone).toMatchObject({ lastHeartbeatAt: clock.now(), charging: false, battery: 42.5, state: 'up', alertId });
    expect(await Key.findOne({ keyId: key.keyId }).lean()).toMatchObject({ timesUsed: 2, lastUsedAt: clock.now() });
    const stored = await PhoneEvent.findOne({ keyId: key.keyId, type: 'phone.heartbeat' }).lean();
    expect(stored).toMatchObject({
      webhookId: response.sent['webhook-id'],
      phoneNumber: number,
      receivedAt: clock.now(),
      occurredAt: sentAt,
      ip: '127.0.0.1',
      data: { phone_numbers: [number], charging: false, battery: 42.5, firmware: 'x1' }, // extra fields kept
    });

    // a heartbeat without charging/battery leaves them as they were
    clock.advance(30_000);
    expect(
      (await post(app, clock, { key: key.key, event: phoneEvent('phone.heartbeat', { phone_numbers: [number] }, clock.now()) })).status,
    ).toBe(202);
    expect(await Phone.findOne({ number }).lean()).toMatchObject({ lastHeartbeatAt: clock.now(), charging: false, battery: 42.5 });
  });

  it('stores message and call events with phone, key and webhook id', async () => {
    const key = await createKey(app);
    const number = newNumber();
    await register(app, clock, key, [number]);
    const events = [
      phoneEvent(
        'message.phone.received',
        { phone_number: number, from: '+15550100', content: 'hello', message_id: 'm1', sim: 'SIM1' },
        clock.now(),
      ),
      phoneEvent('message.phone.sent', { phone_number: number, message_id: 'm2', to: '+15550101' }, clock.now()),
      phoneEvent('message.phone.delivered', { phone_number: number, message_id: 'm2' }, clock.now()),
      phoneEvent('message.send.failed', { phone_number: number, message_id: 'm3', reason: 'no credit' }, clock.now()),
      phoneEvent('message.send.expired', { phone_number: number, message_id: 'm4' }, clock.now()),
      phoneEvent('message.call.missed', { phone_number: number, from: 'MTN', sim: 2 }, clock.now()),
    ];
    const responses = await Promise.all(events.map((event) => post(app, clock, { key: key.key, event })));
    expect(responses.map((r) => r.status)).toEqual(events.map(() => 202));
    const stored = await app.context.models.PhoneEvent.find({ keyId: key.keyId, type: { $ne: 'phone.registered' } }).lean();
    expect(stored.map((e) => e.type).sort()).toEqual(events.map((e) => e.type).sort());
    for (const [i, response] of responses.entries()) {
      expect(stored.find((e) => e.webhookId === response.sent['webhook-id'])).toMatchObject({
        type: events[i]!.type,
        phoneNumber: number,
        data: events[i]!.data,
      });
    }
    expect(await app.context.models.Key.findOne({ keyId: key.keyId }).lean()).toMatchObject({ timesUsed: 1 + events.length });
  });

  it('logs one line per request with the event type and pk_<id>, never the key or signature', async () => {
    const key = await createKey(app);
    const number = newNumber();
    await register(app, clock, key, [number]);
    const response = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) });
    const lines = app.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request' && l.keyId === key.publicId);
    expect(lines).toHaveLength(2); // the registration and the heartbeat, one line each
    expect(lines[1]).toMatchObject({ method: 'POST', status: 202, eventType: 'phone.heartbeat', keyId: key.publicId });
    const all = app.logs.join('\n');
    expect(all).not.toContain(key.key);
    expect(all).not.toContain(response.sent['webhook-signature']!.slice(3));
  });
});

describe('duplicates', () => {
  it('a webhook-id sent again is answered 200 and changes nothing, also for a registration', async () => {
    const key = await createKey(app);
    const number = newNumber();
    const registration = await register(app, clock, key, [number]);
    const again = await post(app, clock, {
      key: key.key,
      event: phoneEvent('phone.registered', { phone_numbers: [number] }, clock.now()),
      id: registration.sent['webhook-id'],
    });
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });

    clock.advance(10_000);
    const event = heartbeatEvent(clock, [number], { battery: 50 });
    const first = await post(app, clock, { key: key.key, event });
    expect(first.status).toBe(202);
    const before = await stateOf(app, key, [number]);

    clock.advance(10_000); // a retry later: must not move last seen or count again
    const retry = await post(app, clock, {
      key: key.key,
      event: { ...event, data: { ...event.data, battery: 10 } },
      id: first.sent['webhook-id'],
    });
    expect(retry).toMatchObject({ status: 200, body: { status: 'duplicate', webhook_id: first.sent['webhook-id'] } });
    expect(await stateOf(app, key, [number])).toEqual(before);
    expect(before.timesUsed).toBe(2);
  });

  it('10 copies of one event at the same moment are stored and counted once', async () => {
    const key = await createKey(app);
    const number = newNumber();
    await register(app, clock, key, [number]);
    clock.advance(5_000);
    const id = newWebhookId();
    const event = heartbeatEvent(clock, [number]);
    const responses = await Promise.all(Array.from({ length: 10 }, () => post(app, clock, { key: key.key, event, id })));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    expect(await app.context.models.PhoneEvent.countDocuments({ keyId: key.keyId, webhookId: id })).toBe(1);
    expect(await app.context.models.Key.findOne({ keyId: key.keyId }).lean()).toMatchObject({ timesUsed: 2 });
  });

  it('the same webhook-id from two different keys is two events', async () => {
    const [k1, k2] = [await createKey(app), await createKey(app)];
    const [n1, n2] = [newNumber(), newNumber()];
    await register(app, clock, k1, [n1]);
    await register(app, clock, k2, [n2]);
    const id = newWebhookId();
    expect((await post(app, clock, { key: k1.key, event: heartbeatEvent(clock, [n1]), id })).status).toBe(202);
    expect((await post(app, clock, { key: k2.key, event: heartbeatEvent(clock, [n2]), id })).status).toBe(202);
  });
});
