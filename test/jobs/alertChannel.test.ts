/**
 * An alert that cannot be posted is not lost quietly (README: Scheduled jobs and alerts → who is
 * told): with the bot not in ALERT_CHANNEL_ID the start says so (log, with the fix), /readyz's
 * body and App Home show it, /metrics counts it, and each admin gets one DM however many alerts
 * fail — and with ADMIN_USER_IDS empty, nobody is DMed but the error log says so.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { AlertChannel } from '../../src/slack/alertChannel.js';
import { type FakeSlack, startFakeSlack } from '../support/fakeSlack.js';
import { sampleValue, scrape } from '../support/prometheus.js';
import { ALERT_CHANNEL, startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { heartbeat, keyWithPhones, MINUTE } from './helpers.js';

const SINGLE_ALERTS = { ALERT_GROUP_MIN: '1000', SILENT_REOPEN_MINUTES: '0' };
const started: Array<{ app: TestApp; fake: FakeSlack }> = [];

afterEach(async () => {
  for (const { app, fake } of started.splice(0)) {
    await app.close();
    await fake.close();
  }
});

/** An app whose fake Slack says the bot is not in the alert channel, as it starts. */
async function appWithoutTheBot(env: Record<string, string>) {
  const fake = await startFakeSlack();
  fake.setChannel(ALERT_CHANNEL, { isMember: false });
  const clock = testClock();
  const app = await startTestApp({ fake, clock: clock.now, env: { ...SINGLE_ALERTS, ...env } });
  started.push({ app, fake });
  await expect.poll(async () => (await app.context.alertChannel.status()).state).toBe('broken');
  return { app, fake, clock };
}

const readyz = async (app: TestApp) => {
  const res = await fetch(`${app.baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; alert_channel?: Record<string, unknown> } };
};

describe('the bot is not in ALERT_CHANNEL_ID', () => {
  test('the start says so, /readyz shows it (still 200), /metrics counts it, App Home leads with it, the admins get one DM each', async () => {
    const { app, fake, clock } = await appWithoutTheBot({ ADMIN_USER_IDS: 'UADMIN,UOPS' });

    const warning = app.logs.find((line) => line.includes('alerts cannot be posted in ALERT_CHANNEL_ID'));
    expect(warning).toContain('/invite @phonekeys');

    const ready = await readyz(app);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ready',
      alert_channel: { id: ALERT_CHANNEL, state: 'broken', error: 'not_in_channel', fix: expect.stringContaining('/invite @phonekeys') },
    });
    expect(sampleValue((await scrape(app.baseUrl)).samples, 'phonekeys_alert_channel_ok')).toBe(0);

    await app.slack.event({ type: 'app_home_opened', user: 'UOPS', tab: 'home' });
    const home = await fake.waitFor('views.publish', (c) => c.args.user_id === 'UOPS');
    expect(JSON.stringify(home.args.view.blocks[0])).toContain(`Alerts cannot be posted in <#${ALERT_CHANNEL}>`);

    // Alerts then fail run after run: still one DM per admin (the one the start-up check owed).
    const { numbers } = await keyWithPhones(app.context, 'gw-unheard', 3);
    for (const n of numbers) await heartbeat(app.context, n);
    for (let i = 0; i < 4; i++) {
      clock.advance(31 * MINUTE);
      await runJob('silent-phones', app.context);
    }
    expect(fake.messagesIn(ALERT_CHANNEL)).toHaveLength(0);
    for (const admin of ['UADMIN', 'UOPS']) {
      const dms = fake.messagesIn(admin);
      expect(dms, admin).toHaveLength(1);
      expect(dms[0]!.text).toContain('/invite @phonekeys');
    }
    const { samples } = await scrape(app.baseUrl);
    expect(sampleValue(samples, 'phonekeys_slack_outbox_given_up_total', { kind: 'incident.message', error: 'not_in_channel' })).toBe(3);

    // Someone invites the bot: the next alert goes out, and everything says so.
    fake.setChannel(ALERT_CHANNEL, {});
    const late = (await keyWithPhones(app.context, 'gw-heard')).numbers[0]!;
    await heartbeat(app.context, late);
    clock.advance(31 * MINUTE);
    await runJob('silent-phones', app.context);
    expect(fake.messagesIn(ALERT_CHANNEL).some((m) => m.text?.includes(late))).toBe(true);
    expect((await readyz(app)).body.alert_channel).toMatchObject({ state: 'ok', error: null, fix: null });
    expect(sampleValue((await scrape(app.baseUrl)).samples, 'phonekeys_alert_channel_ok')).toBe(1);
  });

  test('with ADMIN_USER_IDS empty nobody is DMed; the error log says who would have been', async () => {
    const { app, fake } = await appWithoutTheBot({});
    await app.context.slackOutbox.drain();
    expect(fake.callsTo('conversations.open')).toHaveLength(0);
    expect(app.logs.some((line) => line.includes('"level":"error"') && line.includes('ADMIN_USER_IDS is empty'))).toBe(true);
    expect((await readyz(app)).body.alert_channel).toMatchObject({ state: 'broken' });
  });
});

test('a channel another instance found broken reads ok again once this instance posts there', async () => {
  const fake = await startFakeSlack();
  const app = await startTestApp({ fake });
  started.push({ app, fake });
  const { config, models, domain, clock, logger } = app.context;
  // Two instances on one database: this app's, and a second one's view of the same channel.
  const other = new AlertChannel(config, models, domain.outbox, clock, logger);
  await app.context.alertChannel.reportOk(ALERT_CHANNEL);
  await other.reportBroken(ALERT_CHANNEL, 'not_in_channel');
  expect((await app.context.alertChannel.status()).state).toBe('broken');

  await app.context.alertChannel.reportOk(ALERT_CHANNEL);
  expect(await app.context.alertChannel.status()).toMatchObject({ state: 'ok', error: null });
});
