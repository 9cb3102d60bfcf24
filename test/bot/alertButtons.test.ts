/**
 * The buttons on every alert (README: Scheduled jobs and alerts), pressed as Slack sends them:
 * Acknowledge (anyone) makes the message say who and when and stops reminders, exactly once
 * however many press at once while a job runs; Pause 1 h (admins) pauses the phones' alerts,
 * audited.
 */
import { describe, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { ActionId } from '../../src/slack/ids.js';
import { heartbeat, keyWithPhones, MINUTE, useJobsApp } from '../jobs/helpers.js';
import type { FakeMessage } from '../support/fakeSlack.js';
import { ALERT_CHANNEL } from '../support/testApp.js';

const jobs = useJobsApp({
  ADMIN_USER_IDS: 'UADMIN',
  SILENT_AFTER_MINUTES: '30',
  SILENT_REMIND_MINUTES: '60',
  ALERT_GROUP_MIN: '1000',
  SILENT_REOPEN_MINUTES: '0',
});
const { clock } = jobs;

/** A phone silent and alerted; its alert message. */
async function alerted(name: string): Promise<{ message: FakeMessage; number: string; incidentId: string }> {
  const { numbers } = await keyWithPhones(jobs.app.context, name);
  await heartbeat(jobs.app.context, numbers[0]!);
  clock.advance(31 * MINUTE);
  await runJob('silent-phones', jobs.app.context);
  const message = jobs.app.fake.messagesIn(ALERT_CHANNEL).find((m) => m.text?.includes(numbers[0]!))!;
  const button = JSON.stringify(message.blocks).match(/"action_id":"alert_ack","value":"([0-9a-f]{24})"/);
  return { message, number: numbers[0]!, incidentId: button![1]! };
}

/** Presses a button of the alert message as `userId`; resolves with what the app answered them. */
async function press(actionId: string, alert: { message: FakeMessage; incidentId: string }, userId: string): Promise<string> {
  const responseUrl = jobs.app.fake.responseUrl();
  const res = await jobs.app.slack.blockAction(actionId, alert.incidentId, {
    userId,
    channelId: ALERT_CHANNEL,
    messageTs: alert.message.ts,
    responseUrl,
    message: { type: 'message', ts: alert.message.ts, text: alert.message.text, blocks: alert.message.blocks },
  });
  expect(res.status).toBe(200);
  const answer = await jobs.app.fake.waitForResponse((r) => r.id === responseUrl.split('/').pop());
  return String(answer.body.text);
}

const current = (alert: { message: FakeMessage }) => jobs.app.fake.message(ALERT_CHANNEL, alert.message.ts)!;
const shown = (alert: { message: FakeMessage }) => JSON.stringify({ text: current(alert).text, blocks: current(alert).blocks });

describe('Acknowledge', () => {
  test('anyone may: the message says who and when, the button goes, reminders stop', async () => {
    const alert = await alerted('gw-ack');
    expect(shown(alert)).toContain('"alert_ack"');
    expect(shown(alert)).toContain('"alert_pause"');

    expect(await press(ActionId.acknowledgeAlert, alert, 'UONCALL')).toMatch(/Acknowledged/);
    await expect.poll(() => shown(alert)).toContain('Acknowledged by <@UONCALL> <!date^');
    expect(shown(alert)).not.toContain('"alert_ack"');
    expect(shown(alert)).toContain('"alert_pause"');
    expect(
      await jobs.app.context.models.AuditEntry.countDocuments({
        action: 'alert.acknowledged',
        actor: 'UONCALL',
        phoneNumber: alert.number,
      }),
    ).toBe(1);

    // Reminders would be due every hour: none comes.
    for (let i = 0; i < 4; i++) {
      clock.advance(60 * MINUTE);
      await runJob('silent-phones', jobs.app.context);
    }
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert.message.ts)).toHaveLength(0);
  });

  test('two people pressing at once while a job runs: one acknowledgement, one consistent message; the other is told who was first', async () => {
    const alert = await alerted('gw-ack-race');
    clock.advance(60 * MINUTE); // a reminder is due in the run racing the presses
    const [first, second] = await Promise.all([
      press(ActionId.acknowledgeAlert, alert, 'UONE'),
      press(ActionId.acknowledgeAlert, alert, 'UTWO'),
      runJob('silent-phones', jobs.app.context),
    ]);
    await jobs.app.context.slackOutbox.drain();
    const acks = await jobs.app.context.models.AuditEntry.find({ action: 'alert.acknowledged', phoneNumber: alert.number }).lean();
    expect(acks).toHaveLength(1);
    const winner = acks[0]!.actor;
    const loser = winner === 'UONE' ? 'UTWO' : 'UONE';
    expect([first, second].filter((a) => /^:eyes: Acknowledged/.test(a))).toHaveLength(1);
    expect([first, second].find((a) => a.startsWith('Already'))).toContain(`Already acknowledged by <@${winner}>`);
    await expect.poll(() => shown(alert)).toContain(`Acknowledged by <@${winner}>`);
    expect(shown(alert)).not.toContain(`<@${loser}>`);
    expect(shown(alert).match(/Acknowledged by/g)).toHaveLength(1);
  });

  test('a resolved alert has nothing to acknowledge', async () => {
    const alert = await alerted('gw-ack-resolved');
    await heartbeat(jobs.app.context, alert.number);
    await runJob('silent-phones', jobs.app.context);
    expect(await press(ActionId.acknowledgeAlert, alert, 'UONCALL')).toMatch(/Nothing to acknowledge: this alert was resolved/);
  });
});

describe('Pause 1 h', () => {
  test('admins only; pauses the phone (audited) and says so on the alert; no reminder while paused', async () => {
    const alert = await alerted('gw-pause');
    expect(await press(ActionId.pauseAlert, alert, 'UONCALL')).toMatch(/only <@UADMIN> may/);
    expect(await jobs.app.context.models.Phone.findOne({ number: alert.number }).lean()).toMatchObject({ pausedUntil: null });

    expect(await press(ActionId.pauseAlert, alert, 'UADMIN')).toContain(`Alerts for ${alert.number} are paused until <!date^`);
    const phone = await jobs.app.context.models.Phone.findOne({ number: alert.number }).lean();
    expect(phone!.pausedUntil).toEqual(new Date(clock.now().getTime() + 60 * MINUTE));
    expect(
      await jobs.app.context.models.AuditEntry.countDocuments({ action: 'phone.paused', actor: 'UADMIN', phoneNumber: alert.number }),
    ).toBe(1);
    await expect.poll(() => shown(alert)).toContain('Paused by <@UADMIN> until <!date^');

    clock.advance(59 * MINUTE);
    await runJob('silent-phones', jobs.app.context);
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert.message.ts)).toHaveLength(0);
  });
});
