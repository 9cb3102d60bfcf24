/**
 * The phone webhook is served ahead of Express (src/http/plainRoute.ts). What Express gave it must
 * still hold: its path matched as Express matches it, other methods answered 405 with Allow, a
 * path below it not taken for it, and the client address read through the proxies TRUST_PROXY
 * trusts (and only those).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneEvent } from '../support/phoneRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, post, register, stateOf } from './support.js';

const clock = testClock('2026-11-23T08:00:00Z');

describe('without a proxy', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clock: clock.now });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('takes the path as Express did: any case, a trailing slash, a query string', async () => {
    const key = await createKey(app);
    const number = newNumber();
    await register(app, clock, key, [number]);
    for (const path of ['/webhooks/phone/', '/WEBHOOKS/Phone', '/webhooks/phone?source=app', '/Webhooks/phone/?x=1']) {
      const response = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]), path });
      expect(response.status, path).toBe(202);
    }
    const stored = await app.context.models.PhoneEvent.countDocuments({ keyId: key.keyId, type: 'phone.heartbeat' });
    expect(stored).toBe(4);
  });

  it('answers another method 405 with Allow: POST, and a path below it 404, storing nothing', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await fetch(new URL('/webhooks/phone', app.baseUrl), { method });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toEqual({ error: 'use POST' });
    }
    const key = await createKey(app);
    const number = newNumber();
    await register(app, clock, key, [number]);
    const before = await stateOf(app, key, [number]);
    const below = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]), path: '/webhooks/phone/extra' });
    expect(below.status).toBe(404);
    const longer = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]), path: '/webhooks/phones' });
    expect(longer.status).toBe(404);
    expect(await stateOf(app, key, [number])).toEqual(before);
  });

  it('answers JSON with its length, and counts the 405 in the metrics', async () => {
    const response = await fetch(new URL('/webhooks/phone', app.baseUrl), { method: 'PATCH' });
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(await response.text()));
    const metrics = await (await fetch(new URL('/metrics', app.baseUrl))).text();
    expect(metrics).toMatch(/phonekeys_webhook_requests_total\{[^}]*status="405"[^}]*\} [1-9]/);
  });
});

describe('behind a trusted proxy (TRUST_PROXY=loopback)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clock: clock.now, env: { TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("locks to the phone's address as the proxy forwards it, not the proxy's", async () => {
    const key = await createKey(app, { mode: 'list', list: '203.0.113.7' });
    const registration = phoneEvent('phone.registered', { phone_numbers: [newNumber()] }, clock.now());
    const fromProxy = await post(app, clock, { key: key.key, event: registration });
    expect(fromProxy.status).toBe(403);
    const forwarded = await post(app, clock, { key: key.key, event: registration, headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(forwarded.status, JSON.stringify(forwarded.body)).toBe(202);
    // Only the hop the proxy added counts: an address the phone itself put first is not believed.
    const spoofed = await post(app, clock, {
      key: key.key,
      event: phoneEvent('phone.registered', { phone_numbers: [newNumber()] }, clock.now()),
      headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.1' },
    });
    expect(spoofed.status).toBe(403);
    expect(spoofed.body).toEqual({ error: `IP 198.51.100.1 is not allowed by the IP lock of ${key.publicId}` });
  });
});
