/**
 * Logs (README: Operations → Logs): one JSON line per request, when it is answered, with status, latency, and for a
 * phone webhook its event type, webhook-id and `pk_<id>` — never the key, its secret or the
 * signature. (The run-wide scan in test/support/globalSetup.ts checks every line of every test.)
 */
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createToken } from '../api/support.js';
import { command } from '../bot/helpers.js';
import { randomPhoneKey } from '../support/phoneRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, phoneEvent, post, register, type TestKey } from '../webhooks/support.js';

const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;
let key: TestKey;
let number: string;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now });
  key = await createKey(app);
  number = newNumber();
  await register(app, clock, key, [number]);
});
afterAll(async () => {
  await app?.close();
});

type Line = Record<string, unknown> & { msg: string; level: string };
const lines = (): Line[] => app.logs.map((l) => JSON.parse(l) as Line);
const requestLines = (): Line[] => lines().filter((l) => l.msg === 'request');

it('logs each phone webhook once, answered or refused, with status, latency, event type, webhook-id and pk_<id> only', async () => {
  const before = requestLines().length;
  const accepted = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) });
  const duplicate = await post(app, clock, { key: key.key, id: accepted.sent['webhook-id'], event: heartbeatEvent(clock, [number]) });
  const forged = await post(app, clock, { key: `${key.publicId}_${randomPhoneKey().slice(12)}`, event: heartbeatEvent(clock, [number]) });
  const unlinked = await post(app, clock, {
    key: key.key,
    event: phoneEvent('message.phone.sent', { phone_number: newNumber(), message_id: 'm1' }, clock.now()),
  });
  expect([accepted.status, duplicate.status, forged.status, unlinked.status]).toEqual([202, 200, 401, 403]);

  const logged = requestLines().slice(before);
  expect(logged).toHaveLength(4);
  for (const line of logged) {
    expect(line).toMatchObject({ method: 'POST', path: '/webhooks/phone', keyId: key.publicId });
    expect(line.keyId).toMatch(/^pk_[a-z2-7]{8}$/);
    expect(typeof line.latencyMs).toBe('number');
    expect(line.latencyMs as number).toBeGreaterThanOrEqual(0);
    expect(line.latencyMs as number).toBeLessThan(5_000);
    expect(Date.parse(line.time as string)).not.toBeNaN();
  }
  const [acceptedLine, duplicateLine, forgedLine, unlinkedLine] = logged;
  // Heartbeats answered 202/200 are routine (hundreds of phones, every 30–60 s): debug. Refusals stay info.
  expect(logged.map((l) => l.level)).toEqual(['debug', 'debug', 'info', 'info']);
  expect(acceptedLine).toMatchObject({ status: 202, eventType: 'phone.heartbeat', webhookId: accepted.sent['webhook-id'] });
  expect(acceptedLine).not.toHaveProperty('reason');
  expect(duplicateLine).toMatchObject({
    status: 200,
    eventType: 'phone.heartbeat',
    webhookId: accepted.sent['webhook-id'],
    duplicate: true,
  });
  // refused before the body is read: no event type, and the reason
  expect(forgedLine).toMatchObject({ status: 401, reason: 'signature_mismatch', webhookId: forged.sent['webhook-id'] });
  expect(forgedLine).not.toHaveProperty('eventType');
  expect(unlinkedLine).toMatchObject({ status: 403, reason: 'not_linked', eventType: 'message.phone.sent' });

  // Nothing secret in any line of this app: not the key, not its secret, not a signature.
  const all = app.logs.join('\n');
  expect(all).not.toContain(key.key);
  expect(all).not.toContain(key.key.slice(12));
  for (const sent of [accepted.sent, forged.sent]) expect(all).not.toContain(sent['webhook-signature']!.slice(3));
  expect(all).not.toMatch(/pk_[a-z2-7]{8}_[A-Za-z0-9_-]{64}/);
});

it('logs Slack requests and other routes once each; health checks and scrapes only at debug level', async () => {
  const before = requestLines().length;
  expect((await command(app, 'list')).text).toBeTruthy();
  expect((await fetch(`${app.baseUrl}/nowhere`)).status).toBe(404);
  for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${app.baseUrl}${path}`)).status).toBe(200);

  const logged = requestLines().slice(before);
  expect(logged.map((l) => [l.level, l.method, l.path, l.status])).toEqual([
    ['info', 'POST', '/slack/events', 200],
    ['info', 'GET', '/nowhere', 404],
    ['debug', 'GET', '/healthz', 200],
    ['debug', 'GET', '/readyz', 200],
    ['debug', 'GET', '/metrics', 200],
  ]);
  for (const line of logged) expect(typeof line.latencyMs).toBe('number');
});

it('logs a request whose phone hung up before the answer, once, as aborted', async () => {
  const before = requestLines().length;
  const url = new URL('/webhooks/phone', app.baseUrl);
  const req = http.request({
    method: 'POST',
    hostname: url.hostname,
    port: url.port,
    path: url.pathname,
    headers: { 'content-type': 'application/json', 'content-length': '1000' },
  });
  req.on('error', () => {});
  req.flushHeaders();
  req.write('{"type":');
  await new Promise((resolve) => setTimeout(resolve, 100));
  req.destroy();
  const started = performance.now();
  while (requestLines().length === before && performance.now() - started < 2_000) await new Promise((resolve) => setTimeout(resolve, 20));
  const logged = requestLines().slice(before);
  expect(logged).toHaveLength(1);
  // The receiver saw a body cut short (400) but the answer never reached anyone: aborted.
  expect(logged[0]).toMatchObject({
    level: 'info',
    method: 'POST',
    path: '/webhooks/phone',
    status: 400,
    reason: 'bad_request',
    aborted: true,
  });
});

it('one info line per change made from Slack or the API (who, what, which key); phones’ and jobs’ changes at debug', async () => {
  const before = lines().length;
  expect((await command(app, `lock ${key.publicId} 127.0.0.1`)).text).toContain('IP lock');
  const { api, name } = await createToken(app);
  const created = await api.post('/keys', { name: 'logged-gw' });
  expect(created.status).toBe(201);
  await register(app, clock, key, [newNumber()]);

  const changes = lines()
    .slice(before)
    .filter((l) => l.component === 'changes');
  const locked = changes.find((l) => l.action === 'key.locked');
  expect(locked).toMatchObject({
    level: 'info',
    actor: 'UADMIN',
    via: 'slack',
    keyId: key.publicId,
    msg: `key.locked ${key.publicId} by UADMIN (slack)`,
  });
  const byApi = changes.find((l) => l.action === 'key.created');
  expect(byApi).toMatchObject({ level: 'info', actor: `api:${name}`, via: 'api', keyId: created.body.data.id });
  expect(JSON.stringify(changes)).not.toContain(created.body.key);
  const linked = changes.find((l) => l.action === 'phone.linked');
  expect(linked).toMatchObject({ level: 'debug', actor: `phone:${key.publicId}` });
  expect(linked).not.toHaveProperty('via');
});
