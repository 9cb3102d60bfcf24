/**
 * phone-health end to end (README: Scheduled jobs and alerts), with real signed webhooks: a phone
 * whose last FAILING_AFTER_SENDS sends all failed or expired gets one failing alert (however many
 * runs at once), resolved by its next sent or delivered one with a reply saying how long and how
 * many sends were lost; a low battery off its charger gets one battery alert, resolved by charging.
 * What the phone says (failure reasons) reaches Slack escaped.
 */
import { describe, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { phoneHealthJob } from '../../src/jobs/phoneHealth.js';
import { command } from '../bot/helpers.js';
import { ALERT_CHANNEL } from '../support/testApp.js';
import { heartbeatEvent, newNumber, phoneEvent, post, register, type TestKey } from '../webhooks/support.js';
import { CREATOR, MINUTE, useJobsApp } from './helpers.js';

const T0 = '2026-11-22T10:00:00Z';
const jobs = useJobsApp({ FAILING_AFTER_SENDS: '5', BATTERY_LOW_PERCENT: '15', SILENT_AFTER_MINUTES: '30' }, T0);
const { clock } = jobs;

const HOSTILE_REASON = '<!channel> <https://x.test|click>';
const alerts = () => jobs.app.fake.messagesIn(ALERT_CHANNEL).filter((m) => !m.thread_ts);
const phoneHealth = () => runJob('phone-health', jobs.app.context);

async function phone(name: string, environment: 'live' | 'test' = 'live'): Promise<{ key: TestKey; number: string }> {
  const { key, view } = await jobs.app.context.domain.keys.create({ name, ipLock: { mode: 'off' }, environment, actor: CREATOR });
  const testKey = { key, publicId: view.publicId, keyId: view.keyId };
  const number = newNumber();
  await register(jobs.app, clock, testKey, [number]);
  await send(testKey, phoneEvent('phone.heartbeat', { phone_numbers: [number], charging: true, battery: 80 }, clock.now()));
  return { key: testKey, number };
}

async function send(key: TestKey, event: unknown): Promise<void> {
  const response = await post(jobs.app, clock, { key: key.key, event });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
}

const failed = (number: string, reason: string) =>
  phoneEvent('message.send.failed', { phone_number: number, message_id: `m${Math.random()}`, reason }, clock.now());
const sendEvent = (type: string, number: string) =>
  phoneEvent(type, { phone_number: number, message_id: `m${Math.random()}` }, clock.now());

describe('failing phones', () => {
  test('five failed sends: exactly one failing alert, even with runs at once; four are not enough', async () => {
    const { key, number } = await phone('gw-failing');
    for (const reason of ['out of credit', 'network error', 'out of credit', HOSTILE_REASON]) {
      clock.advance(MINUTE);
      await send(key, failed(number, reason));
    }
    await phoneHealth();
    expect(alerts()).toHaveLength(0);

    clock.advance(MINUTE);
    await send(key, sendEvent('message.send.expired', number));
    await Promise.all([phoneHealth(), phoneHealth(), phoneHealthJob(jobs.app.context), phoneHealthJob(jobs.app.context)]);
    await phoneHealth();
    expect(alerts()).toHaveLength(1);
    const [alert] = alerts();
    expect(alert!.text).toContain(`Phone ${number} cannot send SMS`);
    expect(alert!.text).toContain('last 5 sends failed or expired');
    expect(alert!.text).toContain('gw-failing');
    expect(alert!.text).toContain('"expired"');
    expect(await jobs.app.context.models.Alert.countDocuments({ kind: 'failing' })).toBe(1);

    // What the phone said is escaped: it cannot mention @channel or slip in a link.
    const shown = JSON.stringify({ text: alert!.text, blocks: alert!.blocks });
    expect(shown).toContain('&lt;!channel&gt; &lt;https://x.test|click&gt;');
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('<https://x.test');

    // /keys phones shows it first, failing; App Home lists it under open alerts.
    const listed = await command(jobs.app, 'phones');
    const text = JSON.stringify(listed.blocks);
    expect(text.indexOf(number)).toBeLessThan(text.indexOf('never seen') === -1 ? Number.POSITIVE_INFINITY : text.indexOf('never seen'));
    expect(text).toContain(':warning: failing alert');
    await jobs.app.slack.event({ type: 'app_home_opened', user: 'UADMIN', tab: 'home' });
    const home = await jobs.app.fake.waitFor('views.publish');
    const homeText = JSON.stringify(home.args.view.blocks);
    expect(homeText.indexOf('Open alerts')).toBeLessThan(homeText.indexOf('Phone keys'));
    expect(homeText).toContain(number);
  });

  test('its next delivered send resolves it: the message reads resolved, one reply says how long and how many sends were lost', async () => {
    const { key, number } = await phone('gw-recovers');
    clock.advance(MINUTE);
    const firstFailure = clock.now();
    for (let i = 0; i < 6; i++) {
      await send(key, failed(number, 'barred'));
      clock.advance(MINUTE);
    }
    await phoneHealth();
    const [alert] = alerts();
    expect(alert).toBeDefined();

    // 20 minutes after the first failure a send goes through; another fails after it.
    clock.set(new Date(firstFailure.getTime() + 20 * MINUTE));
    await send(key, sendEvent('message.phone.delivered', number));
    clock.advance(MINUTE);
    await send(key, failed(number, 'barred'));
    await phoneHealth();
    await phoneHealth();
    expect(jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).toMatch(
      /Resolved: phone .* could not send for 20 minutes and is sending again/,
    );
    const replies = jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts);
    expect(replies.map((r) => r.text)).toEqual([expect.stringContaining('sending again after failing for 20 minutes: 6 sends were lost')]);
    expect(await jobs.app.context.models.Phone.findOne({ number }).lean()).toMatchObject({ failingAlertId: null, sendFailures: 1 });
  });

  test("a test key's phone never gets a failing or battery alert; nor a paused one", async () => {
    const sandbox = await phone('gw-sandbox', 'test');
    const paused = await phone('gw-paused');
    await jobs.app.context.domain.phones.pause(paused.number, 120, 'UADMIN');
    for (const { key, number } of [sandbox, paused]) {
      for (let i = 0; i < 6; i++) await send(key, failed(number, 'out of credit'));
      await send(key, heartbeatEvent(clock, [number], { battery: 5, charging: false }));
    }
    await phoneHealth();
    expect(alerts()).toHaveLength(0);
    expect(await jobs.app.context.models.Alert.countDocuments()).toBe(0);
  });
});

describe('battery', () => {
  test('9 % and not charging: one battery alert; 20 % is not enough to resolve it; charging resolves it', async () => {
    const { key, number } = await phone('gw-battery');
    clock.advance(MINUTE);
    await send(key, heartbeatEvent(clock, [number], { battery: 9, charging: false }));
    await Promise.all([phoneHealth(), phoneHealthJob(jobs.app.context)]);
    clock.advance(MINUTE);
    await send(key, heartbeatEvent(clock, [number], { battery: 8, charging: false }));
    await phoneHealth();
    expect(alerts()).toHaveLength(1);
    const [alert] = alerts();
    expect(alert!.text).toContain(`Phone ${number} is running flat: battery 9 %, not charging`);
    expect(JSON.stringify(alert!.blocks)).toContain('alert_ack');

    clock.advance(MINUTE);
    await send(key, heartbeatEvent(clock, [number], { battery: 20, charging: false }));
    await phoneHealth();
    expect(jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).not.toMatch(/Resolved/);

    clock.advance(10 * MINUTE);
    await send(key, heartbeatEvent(clock, [number], { battery: 21, charging: true }));
    await phoneHealth();
    expect(jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).toMatch(/Resolved: phone .* is charging again/);
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts).map((r) => r.text)).toEqual([
      expect.stringContaining('is charging again (battery 21 %)'),
    ]);

    // Low again later: a new episode, a new alert.
    clock.advance(60 * MINUTE);
    await send(key, heartbeatEvent(clock, [number], { battery: 14, charging: false }));
    await phoneHealth();
    expect(alerts()).toHaveLength(2);
  });

  test('at the threshold + 10 without charging also resolves it', async () => {
    const { key, number } = await phone('gw-battery-up');
    await send(key, heartbeatEvent(clock, [number], { battery: 15, charging: false }));
    await phoneHealth();
    clock.advance(MINUTE);
    await send(key, heartbeatEvent(clock, [number], { battery: 25, charging: false }));
    await phoneHealth();
    const [alert] = alerts();
    expect(jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).toMatch(/Resolved/);
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts)[0]!.text).toContain('has battery again (battery 25 %)');
  });
});
