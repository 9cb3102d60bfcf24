/**
 * GET /metrics (README: Operations → Metrics): after a known mix of phone webhooks (accepted, duplicate, refused for
 * ten reasons), Slack requests, a failing Slack API call and two job runs, every counter says
 * exactly what happened, and the gauges count phones and keys by status.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { command } from '../bot/helpers.js';
import { randomPhoneKey } from '../support/phoneRequests.js';
import { byLabels, sampleValue, scrape } from '../support/prometheus.js';
import { appHomeOpened } from '../support/slackRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, phoneEvent, post, register } from '../webhooks/support.js';

const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;

beforeAll(async () => {
  // Keys older than ~29 minutes are due for rotation, so one run of key-rotation flags the oldest.
  app = await startTestApp({ clock: clock.now, env: { KEY_ROTATION_DAYS: '0.02' } });
});
afterAll(async () => {
  await app?.close();
});

it('counts webhook requests by type and status, refusals by reason, Slack requests, Slack API errors and job runs exactly', async () => {
  // 10:00 — one key, four phones registered with it; two of them heartbeat.
  const gateway = await createKey(app);
  const [online, neverSeen, paused, silent] = [newNumber(), newNumber(), newNumber(), newNumber()];
  for (const number of [online, neverSeen, paused, silent]) await register(app, clock, gateway, [number]);
  for (const number of [online, silent])
    expect((await post(app, clock, { key: gateway.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);

  // 10:31 — `silent` has not been heard of for 31 minutes; `online` keeps talking.
  clock.advance(31 * 60_000);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await post(app, clock, { key: gateway.key, event: heartbeatEvent(clock, [online]) });
    expect(res.status).toBe(202);
    ids.push(res.sent['webhook-id']!);
  }
  expect((await post(app, clock, { key: gateway.key, id: ids[0], event: heartbeatEvent(clock, [online]) })).status).toBe(200);
  const sms = phoneEvent('message.phone.received', { phone_number: online, from: '+15550100', content: 'hi' }, clock.now());
  expect((await post(app, clock, { key: gateway.key, event: sms })).status).toBe(202);

  // A test key's phone, registered and online: labelled `test`.
  const created = await app.context.domain.keys.create({ name: 'sandbox', ipLock: { mode: 'off' }, environment: 'test', actor: 'UADMIN' });
  const sandbox = { key: created.key, publicId: created.view.publicId, keyId: created.view.keyId };
  const sandboxPhone = newNumber();
  await register(app, clock, sandbox, [sandboxPhone]);
  expect((await post(app, clock, { key: sandbox.key, event: heartbeatEvent(clock, [sandboxPhone]) })).status).toBe(202);

  // Refusals, one per reason.
  const locked = await createKey(app, { mode: 'list', list: '10.9.9.9' });
  const revoked = await createKey(app);
  await app.context.domain.keys.revoke(revoked.publicId, 'UADMIN');
  const rotated = await createKey(app);
  await app.context.domain.keys.rotate(rotated.publicId, 'UADMIN');
  const heartbeat = () => heartbeatEvent(clock, [online]);
  const refusals: [number, Parameters<typeof post>[2]][] = [
    [401, { key: `${gateway.publicId}_${randomPhoneKey().slice(12)}`, event: heartbeat() }], // signature_mismatch
    [401, { key: randomPhoneKey(), event: heartbeat() }], // unknown_key
    [401, { key: gateway.key, event: heartbeat(), timestamp: new Date(clock.now().getTime() - 10 * 60_000) }], // stale_timestamp
    [401, { key: gateway.key, event: heartbeat(), headers: { 'webhook-signature': null } }], // missing_header
    [401, { key: revoked.key, event: heartbeat() }], // revoked
    [403, { key: locked.key, event: heartbeat() }], // ip_not_allowed (we send from 127.0.0.1)
    [403, { key: gateway.key, event: heartbeatEvent(clock, [newNumber()]) }], // not_linked
    [400, { key: gateway.key, body: '{"type": "phone.heartbeat",' }], // invalid_json
    [400, { key: gateway.key, event: phoneEvent('phone.exploded', {}, clock.now()) }], // unknown_type
    [415, { key: gateway.key, event: heartbeat(), headers: { 'content-type': 'text/plain' } }], // unsupported_media_type
  ];
  for (const [status, request] of refusals) expect((await post(app, clock, request)).status).toBe(status);

  // Slack: four commands, and App Home, whose views.publish Slack refuses once.
  expect((await command(app, 'list')).text).toBeTruthy();
  expect((await command(app, 'help')).text).toMatch(/keys/);
  expect((await command(app, 'frobnicate')).text).toMatch(/Unknown subcommand/);
  expect((await command(app, `pause ${paused} 120`)).text).toContain(paused);
  app.fake.failNext('views.publish', { error: 'internal_error' });
  expect((await app.slack.event(appHomeOpened('UADMIN'))).status).toBe(200);
  await app.fake.waitFor('views.publish');

  // Jobs: silent-phones turns `silent` silent; key-rotation flags the 10:00 key.
  expect((await runJob('silent-phones', app.context)).outcome).toBe('ok');
  expect((await runJob('key-rotation', app.context)).outcome).toBe('ok');
  expect(await app.context.models.Phone.countDocuments({ state: 'down' })).toBe(1);

  const { status, contentType, samples } = await scrape(app.baseUrl);
  expect(status).toBe(200);
  expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);

  expect(byLabels(samples, 'phonekeys_webhook_requests_total', ['type', 'status', 'environment'])).toEqual({
    'phone.registered|202|live': 4,
    'phone.heartbeat|202|live': 5,
    'phone.heartbeat|200|live': 1,
    'message.phone.received|202|live': 1,
    'phone.registered|202|test': 1,
    'phone.heartbeat|202|test': 1,
    // refused before the body is read: no event type; before the signature checks out: no environment
    'unknown|401|unknown': 4,
    'unknown|401|live': 1, // revoked
    'unknown|403|live': 1, // ip_not_allowed
    'unknown|400|live': 2, // invalid_json, unknown_type
    'unknown|415|unknown': 1,
    'phone.heartbeat|403|live': 1,
  });
  expect(byLabels(samples, 'phonekeys_webhook_refusals_total', ['reason'])).toEqual({
    signature_mismatch: 1,
    unknown_key: 1,
    stale_timestamp: 1,
    missing_header: 1,
    revoked: 1,
    ip_not_allowed: 1,
    not_linked: 1,
    invalid_json: 1,
    unknown_type: 1,
    unsupported_media_type: 1,
  });
  expect(byLabels(samples, 'phonekeys_slack_requests_total', ['kind', 'name'])).toEqual({
    'command|list': 1,
    'command|help': 1,
    'command|invalid': 1,
    'command|pause': 1,
    'event|app_home_opened': 1,
  });
  expect(byLabels(samples, 'phonekeys_slack_api_errors_total', ['method', 'error'])).toEqual({ 'views.publish|internal_error': 1 });
  expect(byLabels(samples, 'phonekeys_job_runs_total', ['job', 'outcome'])).toEqual({ 'silent-phones|ok': 1, 'key-rotation|ok': 1 });
  expect(byLabels(samples, 'phonekeys_job_duration_seconds_count', ['job'])).toEqual({ 'silent-phones': 1, 'key-rotation': 1 });
  expect(sampleValue(samples, 'phonekeys_job_duration_seconds_bucket', { job: 'silent-phones', le: '+Inf' })).toBe(1);

  // Gauges, read from MongoDB at scrape time.
  expect(byLabels(samples, 'phonekeys_phones', ['environment', 'status'])).toEqual({
    'live|online': 1,
    'live|silent': 1,
    'live|failing': 0,
    'live|never_seen': 1,
    'live|paused': 1,
    'test|online': 1,
    'test|silent': 0,
    'test|failing': 0,
    'test|never_seen': 0,
    'test|paused': 0,
  });
  // active: gateway, sandbox, locked, rotated's successor; rotating: rotated; due: gateway (created at 10:00)
  expect(byLabels(samples, 'phonekeys_keys', ['status'])).toEqual({ active: 4, rotating: 1, revoked: 1, rotation_due: 1 });
  expect(sampleValue(samples, 'phonekeys_database_up')).toBe(1);
  // Node's own metrics come along (memory, event loop lag) under the same prefix.
  expect(sampleValue(samples, 'phonekeys_process_resident_memory_bytes')).toBeGreaterThan(0);
});

it('counts what it answered, not what it was sent: a second scrape moves only by the new requests', async () => {
  const labels = ['type', 'status', 'environment'];
  const before = byLabels((await scrape(app.baseUrl)).samples, 'phonekeys_webhook_requests_total', labels);
  await post(app, clock, { key: randomPhoneKey(), event: heartbeatEvent(clock, [newNumber()]) });
  const after = byLabels((await scrape(app.baseUrl)).samples, 'phonekeys_webhook_requests_total', labels);
  expect(after).toEqual({ ...before, 'unknown|401|unknown': (before['unknown|401|unknown'] ?? 0) + 1 });
});
