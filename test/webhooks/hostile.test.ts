/**
 * Hostile and broken clients on real sockets: signatures over the exact bytes and header
 * texts, repeated signature headers, slow and lying clients, and many connections from one
 * address. Every case is bounded in sockets and seconds.
 */
import { createHmac } from 'node:crypto';
import { Webhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_TIMEOUTS } from '../../src/app.js';
import { webhookSignature } from '../../src/webhooks/signing.js';
import { newWebhookId } from '../support/phoneRequests.js';
import { idleConnection, rawExchange } from '../support/rawHttp.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, post, register, stateOf, type TestKey } from './support.js';

const clock = testClock('2026-11-22T10:00:00Z');
const MAX_CONNECTIONS = 6;
let app: TestApp;
let key: TestKey;
let number: string;
let port: number;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, maxConnectionsPerIp: MAX_CONNECTIONS });
  port = Number(new URL(app.baseUrl).port);
  key = await createKey(app);
  number = newNumber();
  await register(app, clock, key, [number]);
});
afterAll(async () => {
  await app?.close();
});

const seconds = () => Math.floor(clock.now().getTime() / 1000);

describe('signatures over the exact bytes and header texts', () => {
  const invalidUtf8 = () =>
    Buffer.concat([
      Buffer.from(JSON.stringify(heartbeatEvent(clock, [number])).slice(0, -2)),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('}}'),
    ]);

  it('invalid UTF-8 signed over its real bytes passes the signature and is refused as not UTF-8 (400)', async () => {
    const body = invalidUtf8();
    const before = await stateOf(app, key, [number]);
    const response = await post(app, clock, { key: key.key, body });
    expect(response.status, response.text).toBe(400);
    expect(response.body.error).toBe('the body is not JSON: not valid UTF-8');
    expect(await stateOf(app, key, [number])).toEqual(before);
  });

  it('the same bytes signed over their decoded text (U+FFFD) do not pass the signature', async () => {
    const body = invalidUtf8();
    const id = newWebhookId();
    const overText = new Webhook(key.key, { format: 'raw' }).sign(id, clock.now(), body.toString('utf8'));
    const response = await post(app, clock, { key: key.key, id, body, headers: { 'webhook-signature': overText } });
    expect(response.status).toBe(401);
    expect(response.body.error).toMatch(/^webhook-signature does not match/);
  });

  it('a timestamp with a leading zero is malformed, however it was signed', async () => {
    const id = newWebhookId();
    const body = JSON.stringify(heartbeatEvent(clock, [number]));
    const text = `0${seconds()}`;
    const overText = `v1,${createHmac('sha256', key.key).update(`${id}.${text}.${body}`).digest('base64')}`;
    for (const signature of [overText, webhookSignature(key.key, id, seconds(), body)]) {
      const response = await post(app, clock, {
        key: key.key,
        id,
        body,
        headers: { 'webhook-timestamp': text, 'webhook-signature': signature },
      });
      expect(response.status).toBe(401);
      expect(response.body.error).toMatch(/^webhook-timestamp is malformed: expected Unix time in whole seconds, without leading zeros/);
    }
  });

  it('two webhook-signature headers are refused whichever comes first; one header with both passes', async () => {
    const id = newWebhookId();
    const body = JSON.stringify(heartbeatEvent(clock, [number]));
    const good = webhookSignature(key.key, id, seconds(), body);
    const bad = webhookSignature(`${key.key.slice(0, -1)}x`, id, seconds(), body);
    for (const order of [
      [good, bad],
      [bad, good],
    ]) {
      const response = await post(app, clock, { key: key.key, id, body, headers: { 'webhook-signature': order } });
      expect(response.status).toBe(401);
      expect(response.body.error).toBe(
        'the webhook-signature header appears 2 times: send it once, with several signatures separated by spaces',
      );
    }
    const joined = await post(app, clock, { key: key.key, id, body, headers: { 'webhook-signature': `${bad} ${good}` } });
    expect(joined.status, joined.text).toBe(202);
  });
});

describe('slow and lying clients', () => {
  const head = (length: number) =>
    `POST /webhooks/phone HTTP/1.1\r\nHost: phonekeys\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

  it('a declared length over 64 KiB is answered 413 at once, without waiting for the body, and the connection closed', async () => {
    const exchange = await rawExchange({ port, script: [head(100_000), '{"a"'], waitMs: 3_000 });
    expect(exchange.status, exchange.text).toBe(413);
    expect(exchange.text).toContain('the body is larger than 64 KiB');
    expect(exchange.answeredAfterMs).toBeLessThan(1_000);
    expect(exchange.closedAfterMs).toBeLessThan(1_000);
  });

  it('a body that stops short is answered 408 four seconds after the first byte (slow headers count), and the connection closed', async () => {
    const [first, rest] = [head(1_000).slice(0, 20), head(1_000).slice(20)];
    const exchange = await rawExchange({ port, script: [first, 2_000, rest, '{"type"'], waitMs: 8_000 });
    expect(exchange.status, exchange.text).toBe(408);
    expect(exchange.text).toContain('the request did not arrive within 4 s');
    expect(exchange.answeredAfterMs).toBeGreaterThan(3_800);
    expect(exchange.answeredAfterMs).toBeLessThan(5_000);
    expect(exchange.closedAfterMs).toBeLessThan(5_500);
  });

  it(`headers sent a byte every 2 s are cut after ${HTTP_TIMEOUTS.headersTimeout / 1000} s (10 connections from 10 addresses)`, async () => {
    const dribble = [...head(10)].flatMap((char) => [char, 2_000]);
    const exchanges = await Promise.all(
      Array.from({ length: 10 }, (_, i) => rawExchange({ port, localAddress: `127.0.1.${i + 1}`, script: dribble, waitMs: 14_000 })),
    );
    for (const exchange of exchanges) {
      expect(exchange.closedAfterMs, exchange.text).toBeDefined();
      expect(exchange.closedAfterMs).toBeGreaterThan(HTTP_TIMEOUTS.headersTimeout - 500);
      expect(exchange.closedAfterMs).toBeLessThan(HTTP_TIMEOUTS.headersTimeout + 2_500);
    }
  }, 20_000);
});

describe('connections per address', () => {
  it(`at most ${MAX_CONNECTIONS} open connections from one address; others are unaffected`, async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => idleConnection(port, '127.0.0.3')));
    try {
      const extra = await idleConnection(port, '127.0.0.3');
      expect(await Promise.race([extra.closed, new Promise((r) => setTimeout(() => r('open'), 1_000))])).toBeLessThan(1_000);
      // Another address still gets through.
      expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]), localAddress: '127.0.0.4' })).status).toBe(
        202,
      );
      // One closed: one more may open.
      held.pop()!.socket.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const again = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]), localAddress: '127.0.0.3' });
      expect(again.status).toBe(202);
    } finally {
      for (const { socket } of held) socket.destroy();
    }
  });
});
