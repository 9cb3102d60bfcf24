import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { CLAIM_MS } from '../../src/domain/outbox.js';
import { runJob } from '../../src/jobs/index.js';
import { silentPhonesJob } from '../../src/jobs/silentPhones.js';
import { ALERT_CHANNEL, startTestApp, type TestApp, testClock, useTwoInstances } from '../support/testApp.js';
import { alertMessageOf, heartbeat, keyWithPhones, MINUTE, useJobsApp } from './helpers.js';

const T0 = '2026-11-22T10:00:00Z';
/**
 * One phone, one alert: grouping (ALERT_GROUP_MIN) and reopening (SILENT_REOPEN_MINUTES) are
 * off here and tested in alertGroups.test.ts and reopen.test.ts.
 */
const SINGLE_ALERTS = { ALERT_GROUP_MIN: '1000', SILENT_REOPEN_MINUTES: '0' };
const jobs = useJobsApp({ SILENT_AFTER_MINUTES: '30', ...SINGLE_ALERTS });
const { clock } = jobs;

const alerts = () => jobs.app.fake.messagesIn(ALERT_CHANNEL).filter((m) => !m.thread_ts);
const silentPhones = () => runJob('silent-phones', jobs.app.context);

describe('silent phones', () => {
  test('a phone silent for longer than SILENT_AFTER_MINUTES gets one alert, not before', async () => {
    const { publicId, numbers } = await keyWithPhones(jobs.app.context, 'gateway-lagos');
    const number = numbers[0]!;
    await heartbeat(jobs.app.context, number);

    clock.advance(29 * MINUTE);
    expect((await silentPhones()).outcome).toBe('ok');
    expect(jobs.app.fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await jobs.app.context.models.Phone.findOne({ number }).lean()).toMatchObject({ state: 'up', alertId: null });

    clock.advance(2 * MINUTE);
    const run = await silentPhones();
    expect(run.summary).toMatchObject({ detected: 1, posted: 1 });
    const phone = await jobs.app.context.models.Phone.findOne({ number }).lean();
    expect(phone).toMatchObject({ state: 'down', downSince: new Date(T0) });
    expect(phone!.alertPendingSince).toBeUndefined();

    expect(alerts()).toHaveLength(1);
    const text = alerts()[0]!.text!;
    expect(text).toContain(number);
    expect(text).toContain('gateway-lagos');
    expect(text).toContain(publicId);
    expect(text).toContain('31 minutes');
    expect(JSON.stringify(alerts()[0]!.blocks)).toContain(`<!date^${Date.parse(T0) / 1000}^`);

    // More runs, later: still one alert, one message.
    for (let i = 0; i < 3; i++) {
      clock.advance(5 * MINUTE);
      await silentPhones();
    }
    expect(await jobs.app.context.models.Alert.countDocuments({ phoneNumber: number })).toBe(1);
    expect(alerts()).toHaveLength(1);
    const alert = await jobs.app.context.models.Alert.findOne({ phoneNumber: number }).lean();
    expect(alert).toMatchObject({ kind: 'silent', since: new Date(T0) });
    expect(await alertMessageOf(jobs.app.context, number)).toMatchObject({ state: 'sent', channel: ALERT_CHANNEL, ts: alerts()[0]!.ts });
    expect(jobs.app.fake.callsTo('chat.postMessage')).toHaveLength(1);
    expect(String(alert!._id)).toBe(String(phone!.alertId));
  });

  test('the next heartbeat resolves the alert: message updated, outage length in the thread', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-recover');
    const number = numbers[0]!;
    await heartbeat(jobs.app.context, number);
    clock.advance(31 * MINUTE);
    await silentPhones();
    const [alert] = alerts();
    expect(alert).toBeDefined();

    // Back at T0+41 min; another heartbeat at +45 before the job runs: the outage ends at the first one.
    clock.advance(10 * MINUTE);
    await heartbeat(jobs.app.context, number);
    clock.advance(4 * MINUTE);
    await heartbeat(jobs.app.context, number);
    clock.advance(1 * MINUTE);
    const run = await silentPhones();
    expect(run.summary).toMatchObject({ resolved: 1, recoveriesPosted: 1, detected: 0 });

    const updated = jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!;
    expect(updated.updates).toBe(1);
    expect(updated.text).toMatch(/Resolved/);
    expect(updated.text).toContain('41 minutes');
    const replies = jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain('back online after 41 minutes');

    const phone = await jobs.app.context.models.Phone.findOne({ number }).lean();
    expect(phone).toMatchObject({ state: 'up', alertId: null });
    const stored = await jobs.app.context.models.Alert.findOne({ phoneNumber: number }).lean();
    expect(stored).toMatchObject({ resolvedAt: new Date(Date.parse(T0) + 41 * MINUTE), resolution: 'recovered' });

    // Nothing more on later runs; a new silence is a new outage with its own alert.
    await silentPhones();
    expect(jobs.app.fake.callsTo('chat.update')).toHaveLength(1);
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts)).toHaveLength(1);
    clock.advance(31 * MINUTE);
    await silentPhones();
    expect(alerts()).toHaveLength(2);
    expect(await jobs.app.context.models.Alert.countDocuments({ phoneNumber: number })).toBe(2);
  });

  test('a phone that came back and fell silent again between two runs: old alert resolved, new one posted', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-flap');
    const number = numbers[0]!;
    await heartbeat(jobs.app.context, number);
    clock.advance(31 * MINUTE);
    await silentPhones();
    clock.advance(5 * MINUTE);
    await heartbeat(jobs.app.context, number); // back at +36
    clock.advance(40 * MINUTE); // silent again by the next run
    const run = await silentPhones();
    expect(run.summary).toMatchObject({ resolved: 1, detected: 1, posted: 1, recoveriesPosted: 1 });
    expect(alerts()).toHaveLength(2);
    const [first] = alerts();
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, first!.ts)[0]!.text).toContain('after 36 minutes');
  });

  test('never-seen, unlinked and paused phones are not alerted; a pause that ended is', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-quiet', 3);
    const [neverSeen, unlinked, paused] = numbers as [string, string, string];
    await heartbeat(jobs.app.context, unlinked);
    await heartbeat(jobs.app.context, paused);
    await jobs.app.context.models.Phone.updateOne({ number: unlinked }, { $set: { keyId: null } });
    await jobs.app.context.models.Phone.updateOne(
      { number: paused },
      { $set: { pausedUntil: new Date(Date.parse(T0) + 2 * 60 * MINUTE), pausedBy: 'UADMIN' } },
    );

    clock.advance(60 * MINUTE);
    await silentPhones();
    clock.advance(59 * MINUTE);
    await silentPhones();
    expect(jobs.app.fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await jobs.app.context.models.Alert.countDocuments()).toBe(0);
    expect(await jobs.app.context.models.Phone.findOne({ number: neverSeen }).lean()).toMatchObject({ state: 'new' });

    clock.advance(2 * MINUTE); // the pause ended at T0+2h
    await silentPhones();
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]!.text).toContain(paused);
  });

  test('an alert whose post failed is posted on the next run, once', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-slack-down');
    const number = numbers[0]!;
    await heartbeat(jobs.app.context, number);
    clock.advance(31 * MINUTE);

    jobs.app.fake.failNext('chat.postMessage', { error: 'ratelimited', status: 429, retryAfter: 0 });
    const failed = await silentPhones();
    expect(failed.summary).toMatchObject({ detected: 1, posted: 0, slackFailures: 1 });
    expect(alerts()).toHaveLength(0);
    const pending = await alertMessageOf(jobs.app.context, number);
    expect(pending).toMatchObject({ ts: null, state: 'pending', claim: null, attempts: 1 });
    expect(pending!.lastError).toBeTruthy();

    jobs.app.fake.failNext('chat.postMessage', { status: 500 });
    await silentPhones();
    expect(alerts()).toHaveLength(0);

    clock.advance(MINUTE);
    expect((await silentPhones()).summary).toMatchObject({ detected: 0, posted: 1 });
    expect(alerts()).toHaveLength(1);
    await silentPhones();
    await silentPhones();
    expect(alerts()).toHaveLength(1);
    expect(await alertMessageOf(jobs.app.context, number)).toMatchObject({ ts: alerts()[0]!.ts, state: 'sent', lastError: null });
    // Three attempts: the rate limit, the 500, the post.
    expect(jobs.app.fake.callsTo('chat.postMessage')).toHaveLength(3);
  });

  test('a failed recovery update is retried on the next run, and the thread reply goes out once', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-recovery-retry');
    const number = numbers[0]!;
    await heartbeat(jobs.app.context, number);
    clock.advance(31 * MINUTE);
    await silentPhones();
    const [alert] = alerts();
    clock.advance(MINUTE);
    await heartbeat(jobs.app.context, number);

    jobs.app.fake.failNext('chat.update', { status: 500 });
    await silentPhones();
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts)).toHaveLength(0);
    expect(await jobs.app.context.models.Phone.findOne({ number }).lean()).toMatchObject({ state: 'up', alertId: null });

    // The update went through but the reply failed: both are retried, the reply posted once.
    jobs.app.fake.failNext('chat.postMessage', { status: 500 });
    await silentPhones();
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts)).toHaveLength(0);

    await silentPhones();
    await silentPhones();
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts)).toHaveLength(1);
    expect(jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).toMatch(/Resolved/);
  });

  test('an alert claimed by a poster that crashed is posted once the claim expires', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-claimed');
    await heartbeat(jobs.app.context, numbers[0]!);
    clock.advance(31 * MINUTE);
    const { monitor, outbox } = jobs.app.context.domain;
    await monitor.detectSilent();
    expect(await outbox.claimNext()).not.toBeNull(); // ...and the poster dies

    await silentPhones();
    expect(alerts()).toHaveLength(0);
    clock.advance(CLAIM_MS);
    await silentPhones();
    expect(alerts()).toHaveLength(1);
  });

  test('a phone back before its alert could be posted: one message (resolved) and one reply', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-late');
    const number = numbers[0]!;
    await heartbeat(jobs.app.context, number);
    clock.advance(31 * MINUTE);
    jobs.app.fake.failNext('chat.postMessage', { status: 500 });
    await silentPhones();
    clock.advance(4 * MINUTE);
    await heartbeat(jobs.app.context, number);
    clock.advance(MINUTE);
    await silentPhones();
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]!.text).toMatch(/Resolved/);
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alerts()[0]!.ts)).toHaveLength(1);
  });

  test('a transition whose alert write was lost (crash between the writes) is completed by the next run', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-crash');
    const number = numbers[0]!;
    await heartbeat(jobs.app.context, number);
    clock.advance(31 * MINUTE);
    const { monitor } = jobs.app.context.domain;
    // Crash right after the up → down update: the alert write never happens.
    const write = vi.spyOn(jobs.app.context.models.Alert, 'findOneAndUpdate').mockImplementationOnce(() => {
      throw new Error('process died');
    });
    await expect(monitor.detectSilent()).rejects.toThrow('process died');
    write.mockRestore();
    expect(await jobs.app.context.models.Phone.findOne({ number }).lean()).toMatchObject({ state: 'down' });
    expect(await jobs.app.context.models.Alert.countDocuments()).toBe(0);

    const run = await silentPhones();
    expect(run.summary).toMatchObject({ repaired: 1, posted: 1 });
    const phone = await jobs.app.context.models.Phone.findOne({ number }).lean();
    const alert = await jobs.app.context.models.Alert.findOne({ phoneNumber: number }).lean();
    expect(String(alert!._id)).toBe(String(phone!.alertId));
    expect(phone!.alertPendingSince).toBeUndefined();
    expect(alert!.pendingSince).toBeUndefined();
    expect(alerts()).toHaveLength(1);
  });

  test('runs at once: one alert per outage (with and without the lease)', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-race', 12);
    for (const n of numbers) await heartbeat(jobs.app.context, n);
    clock.advance(31 * MINUTE);

    // Through the lease: one run works, the others skip.
    const runs = await Promise.all([silentPhones(), silentPhones(), silentPhones()]);
    expect(runs.map((r) => r.outcome).sort()).toEqual(['ok', 'skipped', 'skipped']);
    expect(alerts()).toHaveLength(12);

    // Bypassing the lease (as if it had expired mid-run): the conditional updates and claims alone keep it to one each.
    for (const n of numbers) await heartbeat(jobs.app.context, n);
    clock.advance(31 * MINUTE);
    const results = await Promise.all([
      silentPhonesJob(jobs.app.context),
      silentPhonesJob(jobs.app.context),
      silentPhonesJob(jobs.app.context),
    ]);
    expect(results.reduce((sum, r) => sum + r.detected, 0)).toBe(12);
    expect(results.reduce((sum, r) => sum + r.resolved, 0)).toBe(12);
    expect(results.reduce((sum, r) => sum + r.posted, 0)).toBe(12);
    expect(results.reduce((sum, r) => sum + r.recoveriesPosted, 0)).toBe(12);
    expect(alerts()).toHaveLength(24);
    expect(jobs.app.fake.callsTo('chat.update')).toHaveLength(12);
    for (const n of numbers) expect(await jobs.app.context.models.Alert.countDocuments({ phoneNumber: n })).toBe(2);
  });
});

describe('two instances on one database', () => {
  const shared = testClock(T0);
  const two = useTwoInstances('jobs_two_instances', shared.now, SINGLE_ALERTS);

  test('exactly one alert per outage', async () => {
    const { a, b } = two;
    const { numbers } = await keyWithPhones(a.context, 'gw-two', 10);
    for (const n of numbers) await heartbeat(a.context, n);
    shared.advance(31 * MINUTE);
    await Promise.all([
      runJob('silent-phones', a.context),
      runJob('silent-phones', b.context),
      silentPhonesJob(a.context),
      silentPhonesJob(b.context),
    ]);
    await Promise.all([runJob('silent-phones', a.context), runJob('silent-phones', b.context)]);
    const posted = a.fake.messagesIn(ALERT_CHANNEL).filter((m) => !m.thread_ts);
    expect(posted).toHaveLength(10);
    expect(await a.context.models.Alert.countDocuments()).toBe(10);
    expect(new Set(posted.map((m) => m.text!.match(/\+\d+/)![0])).size).toBe(10);
  });
});

describe('reminders', () => {
  const remindClock = testClock(T0);
  let reminding: TestApp;
  beforeAll(async () => {
    reminding = await startTestApp({
      clock: remindClock.now,
      env: { SILENT_AFTER_MINUTES: '30', SILENT_REMIND_MINUTES: '60', ...SINGLE_ALERTS },
    });
  });
  afterAll(async () => {
    await reminding?.close();
  });

  test('while silent, a reminder in the thread every SILENT_REMIND_MINUTES, not more often', async () => {
    const { numbers } = await keyWithPhones(reminding.context, 'gw-remind');
    const number = numbers[0]!;
    await heartbeat(reminding.context, number);
    remindClock.advance(31 * MINUTE);
    await runJob('silent-phones', reminding.context); // alert posted at +31
    const [alert] = reminding.fake.messagesIn(ALERT_CHANNEL);
    const replies = () => reminding.fake.threadReplies(ALERT_CHANNEL, alert!.ts);

    for (const minute of [40, 60, 80, 90]) {
      remindClock.set(new Date(Date.parse(T0) + minute * MINUTE));
      await runJob('silent-phones', reminding.context);
    }
    expect(replies()).toHaveLength(0); // the first reminder is due an interval after the post, at +91
    remindClock.set(new Date(Date.parse(T0) + 91 * MINUTE));
    await Promise.all([runJob('silent-phones', reminding.context), silentPhonesJob(reminding.context), silentPhonesJob(reminding.context)]);
    expect(replies()).toHaveLength(1);
    expect(replies()[0]!.text).toContain('still silent');
    expect(replies()[0]!.text).toContain('1 h 31 min');

    // A failed reminder is sent by the next run.
    remindClock.set(new Date(Date.parse(T0) + 151 * MINUTE));
    reminding.fake.failNext('chat.postMessage', { status: 500 });
    await runJob('silent-phones', reminding.context);
    expect(replies()).toHaveLength(1);
    await runJob('silent-phones', reminding.context);
    expect(replies()).toHaveLength(2);
    remindClock.advance(59 * MINUTE);
    await runJob('silent-phones', reminding.context);
    expect(replies()).toHaveLength(2);

    // Back online: the recovery reply, and no more reminders.
    await heartbeat(reminding.context, number);
    remindClock.advance(3 * 60 * MINUTE);
    await runJob('silent-phones', reminding.context);
    expect(replies()).toHaveLength(3);
    expect(replies()[2]!.text).toContain('back online');
  });
});
