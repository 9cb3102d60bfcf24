/**
 * Unlinking a number closes its open alerts (README: Scheduled jobs and alerts), as deleting its
 * key does: each alert gets one reply in its thread and its message is updated once, both saying
 * it was unlinked, by whom and when; the alert is closed in the database; later job runs post
 * nothing more for it, nor does a second unlink. From Slack (the Unlink phone… modal, the
 * command) and the management API alike, with real signed requests and the fake Slack's record.
 */
import { describe, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { createToken } from '../api/support.js';
import { command, pressToOpen, responseAt, submit } from '../bot/helpers.js';
import { ALERT_CHANNEL } from '../support/testApp.js';
import { phoneEvent, post, register } from '../webhooks/support.js';
import { CREATOR, heartbeat, keyWithPhones, MINUTE, newNumber, useJobsApp } from './helpers.js';

const T0 = '2026-11-22T10:00:00Z';
const jobs = useJobsApp(
  {
    SILENT_AFTER_MINUTES: '30',
    SILENT_REMIND_MINUTES: '60',
    SILENT_REOPEN_MINUTES: '0',
    ALERT_GROUP_MIN: '5',
    BATTERY_LOW_PERCENT: '15',
    ADMIN_USER_IDS: 'UADMIN',
  },
  T0,
);
const { clock } = jobs;

const alerts = () => jobs.app.fake.messagesIn(ALERT_CHANNEL).filter((m) => !m.thread_ts);
const replies = (ts: string) => jobs.app.fake.threadReplies(ALERT_CHANNEL, ts);
const updatesOf = (ts: string) => jobs.app.fake.callsTo('chat.update').filter((c) => c.args.ts === ts);
const silentPhones = () => runJob('silent-phones', jobs.app.context);
const phoneHealth = () => runJob('phone-health', jobs.app.context);

/** The unlink kicks an outbox pass in the background; passes of our own meet it there. */
async function settled<T>(read: () => T, expected: T): Promise<void> {
  await expect
    .poll(async () => {
      await jobs.app.context.slackOutbox.drain();
      return read();
    })
    .toEqual(expected);
}

/** A phone of a new key, silent for 31 minutes and alerted. */
async function silentAlerted(name: string): Promise<{ keyId: string; publicId: string; number: string; ts: string }> {
  const { keyId, publicId, numbers } = await keyWithPhones(jobs.app.context, name);
  const number = numbers[0]!;
  await heartbeat(jobs.app.context, number);
  clock.advance(31 * MINUTE);
  await silentPhones();
  const alert = alerts().find((m) => m.text?.includes(number));
  expect(alert?.text).toContain(`Phone ${number} is silent`);
  return { keyId, publicId, number, ts: alert!.ts };
}

/** Three hours of job runs (reminders would be due every hour): nothing new in the channel. */
async function laterRunsPostNothing(before: { alerts: number; replies: number; updates: number }, ts: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    clock.advance(60 * MINUTE);
    await silentPhones();
    await phoneHealth();
  }
  expect(alerts()).toHaveLength(before.alerts);
  expect(replies(ts)).toHaveLength(before.replies);
  expect(updatesOf(ts)).toHaveLength(before.updates);
}

describe('unlinking a number with an open alert', () => {
  test('from the Unlink phone… modal: one reply and one update saying who unlinked it and when; closed; nothing more after', async () => {
    const { keyId, number, ts } = await silentAlerted('gw-unlink-modal');
    expect(updatesOf(ts)).toHaveLength(0);
    const unlinkedAt = clock.now();

    const { call, responseUrl } = await pressToOpen(jobs.app, 'key_unlink_open', keyId, { userId: 'UADMIN' });
    expect((await submit(jobs.app, call, { phone_number: number }, 'UADMIN')).status).toBe(200);
    expect((await responseAt(jobs.app, responseUrl)).text).toMatch(new RegExp(`Unlinked \\${number} .*Its open alert is closed`));

    await settled(() => replies(ts).map((r) => r.text), [expect.stringContaining(`${number} was unlinked from key gw-unlink-modal`)]);
    const reply = JSON.stringify(replies(ts)[0]!.blocks);
    expect(reply).toContain('<@UADMIN>');
    expect(reply).toContain(`<!date^${Math.floor(unlinkedAt.getTime() / 1000)}^`);
    expect(updatesOf(ts)).toHaveLength(1);
    const message = jobs.app.fake.message(ALERT_CHANNEL, ts)!;
    expect(message.text).toMatch(new RegExp(`^:white_check_mark: Resolved: phone \\${number} was unlinked from key .* by <@UADMIN> at`));
    expect(JSON.stringify(message.blocks)).toContain('<@UADMIN>');
    expect(JSON.stringify(message.blocks)).not.toContain('alert_ack'); // no buttons on a closed alert

    const { Alert, Incident, Phone, AuditEntry } = jobs.app.context.models;
    expect(await Alert.findOne({ phoneNumber: number }).lean()).toMatchObject({
      resolution: 'unlinked',
      resolvedBy: 'UADMIN',
      resolvedAt: unlinkedAt,
    });
    expect((await Incident.findOne().lean())!.resolvedAt).toEqual(unlinkedAt);
    expect(await Phone.findOne({ number }).lean()).toMatchObject({ keyId: null, alertId: null });
    expect(await AuditEntry.countDocuments({ action: 'phone.unlinked', phoneNumber: number, actor: 'UADMIN' })).toBe(1);

    // Unlinking again: refused, and nothing more in Slack.
    expect((await command(jobs.app, `unlink gw-unlink-modal ${number}`, { userId: 'UADMIN' })).text).toContain('is not linked');
    await jobs.app.context.slackOutbox.drain();
    await laterRunsPostNothing({ alerts: 1, replies: 1, updates: 1 }, ts);
  });

  test('from the API: the silent and the battery alert of the number are both closed, once, by api:<token>; a retry posts nothing', async () => {
    const { key, view } = await jobs.app.context.domain.keys.create({ name: 'gw-unlink-api', ipLock: { mode: 'off' }, actor: CREATOR });
    const testKey = { key, publicId: view.publicId, keyId: view.keyId };
    const number = newNumber();
    await register(jobs.app, clock, testKey, [number]);
    const low = phoneEvent('phone.heartbeat', { phone_numbers: [number], charging: false, battery: 9 }, clock.now());
    expect((await post(jobs.app, clock, { key, event: low })).status).toBe(202);
    await phoneHealth();
    clock.advance(31 * MINUTE);
    await silentPhones();
    const battery = alerts().find((m) => m.text?.includes('running flat'))!;
    const silent = alerts().find((m) => m.text?.includes('is silent'))!;
    expect([battery?.text, silent?.text]).toEqual([expect.stringContaining(number), expect.stringContaining(number)]);

    const writer = await createToken(jobs.app, 'write');
    const path = `/keys/${view.publicId}/phones/${encodeURIComponent(number)}`;
    expect((await writer.api.delete(path)).status).toBe(204);
    await settled(() => [replies(battery.ts).length, replies(silent.ts).length], [1, 1]);
    for (const { ts } of [battery, silent]) {
      expect(replies(ts)[0]!.text).toContain(`${number} was unlinked from key gw-unlink-api (${view.publicId}) by api:${writer.name}`);
      expect(updatesOf(ts)).toHaveLength(1);
      expect(jobs.app.fake.message(ALERT_CHANNEL, ts)!.text).toMatch(/^:white_check_mark: Resolved: phone .* was unlinked/);
    }
    const open = await jobs.app.context.models.Alert.countDocuments({ phoneNumber: number, resolvedAt: null });
    expect(open).toBe(0);
    expect(await jobs.app.context.models.AuditEntry.countDocuments({ action: 'phone.unlinked', actor: `api:${writer.name}` })).toBe(1);

    // The script retries (its answer was lost): 404, and nothing more.
    expect((await writer.api.delete(path)).status).toBe(404);
    await jobs.app.context.slackOutbox.drain();
    await laterRunsPostNothing({ alerts: 2, replies: 1, updates: 1 }, silent.ts);
    expect(replies(battery.ts)).toHaveLength(1);
    expect(updatesOf(battery.ts)).toHaveLength(1);
  });

  test('in a grouped alert: its line and the thread say it was unlinked; the alert reads resolved when the rest are back', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'site-unlink', 5);
    for (const n of numbers) await heartbeat(jobs.app.context, n);
    clock.advance(31 * MINUTE);
    await silentPhones();
    const [group] = alerts();
    expect(group!.text).toContain('5 phones are silent');
    const [gone, ...rest] = numbers as [string, ...string[]];

    expect((await command(jobs.app, `unlink site-unlink ${gone}`, { userId: 'UADMIN' })).text).toContain('Its open alert is closed');
    await settled(() => replies(group!.ts).map((r) => r.text), [expect.stringContaining(`${gone} was unlinked from key site-unlink`)]);
    expect(replies(group!.ts)[0]!.text).toContain('4 of 5 still silent');
    const partly = jobs.app.fake.message(ALERT_CHANNEL, group!.ts)!;
    expect(partly.text).toContain('0 back, 1 no longer watched, 4 still silent');
    expect(JSON.stringify(partly.blocks)).toMatch(new RegExp(`~\\${gone}~ :heavy_minus_sign: unlinked`));
    expect(JSON.stringify(partly.blocks)).toContain('alert_ack'); // still open: four phones are silent

    for (const n of rest) await heartbeat(jobs.app.context, n);
    clock.advance(MINUTE);
    await silentPhones();
    expect(replies(group!.ts)).toHaveLength(5);
    expect(replies(group!.ts)[4]!.text).toContain('None of the 5 is silent any more');
    expect(jobs.app.fake.message(ALERT_CHANNEL, group!.ts)!.text).toContain(
      'Resolved: none of the 5 phones is silent any more: 4 back online, 1 no longer watched',
    );
  });
});
