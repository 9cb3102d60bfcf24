/**
 * Socket Mode (README: Socket Mode): with SLACK_APP_TOKEN the app opens a connection with
 * apps.connections.open (on the fake Web API) and receives Slack's requests over a WebSocket from
 * a fake Socket Mode server on loopback; it acks each envelope, with the answer in the ack when
 * there is one. /slack/events is not served; phones, the API and health still are, over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeSlack } from '../support/fakeSlack.js';
import { type FakeSocketMode, startFakeSocketMode } from '../support/fakeSocketMode.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, post, register } from '../webhooks/support.js';
import { textOf } from './helpers.js';

const APP_TOKEN = `xapp-1-A0PHONEKEYS-${randomBytes(8).toString('hex')}`;
const clock = testClock();
let socket: FakeSocketMode;
let app: TestApp;

beforeAll(async () => {
  socket = await startFakeSocketMode();
  const fake = await startFakeSlack();
  fake.setSocketModeUrl(socket.url);
  app = await startTestApp({ fake, clock: clock.now, env: { SLACK_APP_TOKEN: APP_TOKEN, ADMIN_USER_IDS: 'UADMIN' } });
  await socket.connected();
});
afterAll(async () => {
  await app?.close();
  await app?.fake.close();
  await socket?.close();
});

const command = (text: string, userId = 'UADMIN') => ({
  command: '/keys',
  text,
  user_id: userId,
  user_name: userId.toLowerCase(),
  team_id: 'T0001',
  channel_id: 'C0GENERAL',
  response_url: app.fake.responseUrl(),
  trigger_id: `${Date.now()}.1.${randomBytes(8).toString('hex')}`,
});

it('opens the connection with the app-level token on SLACK_API_URL', async () => {
  const open = await app.fake.waitFor('apps.connections.open');
  expect(open.token).toBe(APP_TOKEN);
  expect(open.response?.body).toEqual({ ok: true, url: socket.url });
});

it('acks a slash command with its answer in the ack payload', async () => {
  const ack = await socket.send('slash_commands', command('help'));
  expect(ack.payload?.response_type).toBe('ephemeral');
  expect(textOf(ack.payload)).toContain('/keys create [name]');
});

it('acks at once and answers through the response_url, and refuses a non-admin in the ack', async () => {
  const body = command('list');
  const ack = await socket.send('slash_commands', body);
  expect(ack.payload ?? {}).toEqual({});
  const id = body.response_url.split('/').pop();
  const answer = await app.fake.waitForResponse((r) => r.id === id);
  expect(answer.body.response_type).toBe('ephemeral');

  const refused = await socket.send('slash_commands', command('rotate gw', 'UOTHER'));
  expect(textOf(refused.payload)).toContain('only <@UADMIN>');
});

it('serves phones, the API and health over HTTP, but not /slack/events', async () => {
  expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
  expect((await fetch(`${app.baseUrl}/slack/events`, { method: 'POST', body: 'x' })).status).toBe(404);
  const key = await createKey(app);
  const number = newNumber();
  await register(app, clock, key, [number]);
  expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
  expect((await fetch(`${app.baseUrl}/api/v1/keys`)).status).toBe(401);
});
