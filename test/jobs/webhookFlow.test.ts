import { afterAll, beforeAll, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { phoneEvent, postPhoneWebhook } from '../support/phoneRequests.js';
import { ALERT_CHANNEL, startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { CREATOR, MINUTE } from './helpers.js';

/** The whole loop with real signed phone webhooks: register, heartbeat, silence, alert, heartbeat, recovery. */

const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now });
});
afterAll(async () => {
  await app?.close();
});

test('a phone that stops heartbeating is alerted, and its next heartbeat resolves the alert', async () => {
  const { key } = await app.context.domain.keys.create({ name: 'gw-webhooks', ipLock: { mode: 'off' }, actor: CREATOR });
  const number = '+2348012345678';
  const send = async (type: string, data: Record<string, unknown>) => {
    const response = await postPhoneWebhook(app.baseUrl, { key, event: phoneEvent(type, data, clock.now()), timestamp: clock.now() });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
  };

  await send('phone.registered', { phone_numbers: [number] });
  await send('phone.heartbeat', { phone_numbers: [number], charging: true, battery: 81 });
  clock.advance(20 * MINUTE);
  await send('phone.heartbeat', { phone_numbers: [number], charging: false, battery: 75 });

  clock.advance(29 * MINUTE);
  await runJob('silent-phones', app.context);
  expect(app.fake.messagesIn(ALERT_CHANNEL)).toHaveLength(0);

  clock.advance(2 * MINUTE); // 31 minutes since the last heartbeat
  await runJob('silent-phones', app.context);
  const [alert] = app.fake.messagesIn(ALERT_CHANNEL);
  expect(alert?.text).toContain(number);
  expect(alert?.text).toContain('31 minutes');

  clock.advance(9 * MINUTE); // back 40 minutes after the last heartbeat before the silence
  await send('phone.heartbeat', { phone_numbers: [number], charging: true, battery: 70 });
  clock.advance(MINUTE);
  await runJob('silent-phones', app.context);
  expect(app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).toMatch(/Resolved/);
  const replies = app.fake.threadReplies(ALERT_CHANNEL, alert!.ts);
  expect(replies).toHaveLength(1);
  expect(replies[0]!.text).toContain('after 40 minutes');
  expect(await app.context.models.Phone.findOne({ number }).lean()).toMatchObject({ state: 'up', alertId: null, battery: 70 });
});

test("a dual-SIM phone: each number's outage ends at the first heartbeat that names it", async () => {
  const { key } = await app.context.domain.keys.create({ name: 'gw-dual-sim', ipLock: { mode: 'off' }, actor: CREATOR });
  const numbers = ['+2348011111111', '+2348022222222'];
  const send = async (type: string, data: Record<string, unknown>) => {
    const response = await postPhoneWebhook(app.baseUrl, { key, event: phoneEvent(type, data, clock.now()), timestamp: clock.now() });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
  };
  await send('phone.registered', { phone_numbers: numbers });
  await send('phone.heartbeat', { phone_numbers: numbers });
  clock.advance(31 * MINUTE);
  await runJob('silent-phones', app.context);
  const alerts = app.fake.messagesIn(ALERT_CHANNEL).filter((m) => numbers.some((n) => m.text?.includes(n)));
  expect(alerts).toHaveLength(2);

  clock.advance(9 * MINUTE); // back 40 minutes after the last heartbeat
  await send('phone.heartbeat', { phone_numbers: numbers });
  clock.advance(5 * MINUTE); // another heartbeat before the job sees the recovery
  await send('phone.heartbeat', { phone_numbers: numbers });
  await runJob('silent-phones', app.context);
  for (const alert of alerts) {
    const replies = app.fake.threadReplies(ALERT_CHANNEL, alert.ts);
    expect(replies, alert.text).toHaveLength(1);
    expect(replies[0]!.text).toContain('after 40 minutes');
  }
});
