import { afterAll, beforeAll, expect, test } from 'vitest';
import { startFakeSlack } from '../support/fakeSlack.js';
import { signSlackRequest } from '../support/slackRequests.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const usageText = (body: unknown) => JSON.stringify(body);

test('a signed slash command reaches the app and is answered ephemerally', async () => {
  const response = await app.slack.command('help');
  expect(response.status).toBe(200);
  expect(usageText(response.body)).toContain('/keys create');
  expect((response.body as { response_type?: string }).response_type ?? 'ephemeral').toBe('ephemeral');
});

test('a bad or stale signature gets 401 and reaches no listener', async () => {
  const body = new URLSearchParams({ command: '/keys', text: 'list', user_id: 'UADMIN', team_id: 'T0001' }).toString();
  const wrongSecret = signSlackRequest('not-the-signing-secret', body);
  expect((await app.slack.raw(body, { ...wrongSecret })).status).toBe(401);
  const stale = signSlackRequest(app.signingSecret, body, Math.floor(Date.now() / 1000) - 10 * 60);
  expect((await app.slack.raw(body, { ...stale })).status).toBe(401);
  const tampered = signSlackRequest(app.signingSecret, body);
  expect((await app.slack.raw(body.replace('list', 'help'), { ...tampered })).status).toBe(401);
  expect(app.fake.ephemerals).toHaveLength(0);
  expect(app.fake.responses).toHaveLength(0);
});

test('a correctly signed request timestamped more than 5 minutes in the future gets 401 and reaches no listener', async () => {
  const body = new URLSearchParams({ command: '/keys', text: 'list', user_id: 'UADMIN', team_id: 'T0001' }).toString();
  const now = Math.floor(Date.now() / 1000);
  for (const ahead of [60 * 60, 5 * 60 + 30]) {
    const future = signSlackRequest(app.signingSecret, body, now + ahead);
    expect((await app.slack.raw(body, { ...future })).status).toBe(401);
  }
  expect(app.fake.responses).toHaveLength(0);
  expect(app.logs.some((line) => line.includes('its timestamp is in the future'))).toBe(true);
  // Within the window either way: answered.
  const soon = new URLSearchParams({ command: '/keys', text: 'help', user_id: 'UADMIN', team_id: 'T0001' }).toString();
  expect((await app.slack.raw(soon, { ...signSlackRequest(app.signingSecret, soon, now + 4 * 60) })).status).toBe(200);
  expect((await app.slack.raw(soon, { ...signSlackRequest(app.signingSecret, soon, now - 4 * 60) })).status).toBe(200);
});

test('a failed auth.test at start is not cached: the next request asks again', async () => {
  const fake = await startFakeSlack();
  fake.failNext('auth.test', { error: 'internal_error', status: 500 });
  const fresh = await startTestApp({ fake });
  try {
    await fake.waitFor('auth.test', (call) => call.response?.status === 500);
    const response = await fresh.slack.command('help');
    expect(response.status).toBe(200);
    expect(usageText(response.body)).toContain('/keys create');
    expect(fake.callsTo('auth.test')).toHaveLength(2);
    expect(fresh.logs.some((line) => line.includes('auth.test failed'))).toBe(true);
  } finally {
    await fresh.close();
    await fake.close();
  }
});
