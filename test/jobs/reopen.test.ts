/**
 * Reopen instead of flapping (README: Scheduled jobs and alerts → flapping): a phone silent again
 * within SILENT_REOPEN_MINUTES of its recovery reopens its last alert — the message turns back to
 * silent, the thread says "silent again", no new top-level alert. Later than that, a new alert.
 */
import { describe, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { ALERT_CHANNEL } from '../support/testApp.js';
import { heartbeat, keyWithPhones, MINUTE, useJobsApp } from './helpers.js';

const T0 = '2026-11-22T10:00:00Z';
const jobs = useJobsApp({ SILENT_AFTER_MINUTES: '30', SILENT_REOPEN_MINUTES: '30', SILENT_REMIND_MINUTES: '60' }, T0);
const { clock } = jobs;
const at = (minutes: number) => clock.set(new Date(Date.parse(T0) + minutes * MINUTE));
const alerts = () => jobs.app.fake.messagesIn(ALERT_CHANNEL).filter((m) => !m.thread_ts);
const silentPhones = () => runJob('silent-phones', jobs.app.context);

describe('a phone silent again soon after it recovered', () => {
  test('reopens its alert: one top-level alert, a "silent again" reply, the message silent again; then resolved again', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-flapping');
    const number = numbers[0]!;
    await heartbeat(jobs.app.context, number); // T0
    at(31);
    await silentPhones();
    const [alert] = alerts();
    expect(alert!.text).toContain('is silent: no heartbeat for 31 minutes');

    at(40);
    await heartbeat(jobs.app.context, number); // back at +40
    at(45);
    await silentPhones();
    expect(jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).toMatch(/Resolved/);

    at(50);
    await heartbeat(jobs.app.context, number); // up 10 minutes, then silent again
    at(81);
    expect((await silentPhones()).summary).toMatchObject({ detected: 0, reopened: 1 });
    expect(alerts()).toHaveLength(1);
    const message = jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!;
    expect(message.text).toContain('is silent again: no heartbeat for 31 minutes');
    expect(JSON.stringify(message.blocks)).toContain('"alert_ack"');
    const replies = () => jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts).map((r) => r.text);
    expect(replies()).toEqual([
      expect.stringContaining('back online after 40 minutes'),
      expect.stringContaining(`${number} is silent again: no heartbeat since 2026-11-22T10:50:00Z, 10 minutes after it came back`),
    ]);
    expect(await jobs.app.context.models.Alert.countDocuments({ phoneNumber: number })).toBe(1);

    // Reminders count from the reopening; the next recovery resolves it again, measured from the new silence.
    at(141);
    await silentPhones();
    expect(replies()[2]).toContain('still silent: no heartbeat for 1 h 31 min');
    at(150);
    await heartbeat(jobs.app.context, number);
    at(151);
    await silentPhones();
    expect(jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).toMatch(/Resolved/);
    expect(replies()[3]).toContain('back online after 1 h 40 min');
    expect(alerts()).toHaveLength(1);
  });

  test('silent again after the window: a new alert', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-steady');
    const number = numbers[0]!;
    await heartbeat(jobs.app.context, number);
    at(31);
    await silentPhones();
    at(40);
    await heartbeat(jobs.app.context, number); // back at +40
    at(75);
    await heartbeat(jobs.app.context, number); // still up 35 minutes later, then silent
    at(106);
    expect((await silentPhones()).summary).toMatchObject({ resolved: 1, detected: 1, reopened: 0 });
    expect(alerts()).toHaveLength(2);
  });
});
