/**
 * Storms (README: Scheduled jobs and alerts → storms): when ALERT_GROUP_MIN or more phones fall
 * silent in one run, one grouped alert lists them; each recovery is a reply in its thread; the
 * alert reads resolved when the last one is back. Fewer phones get an alert each.
 */
import { describe, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { ALERT_CHANNEL, testClock, useTwoInstances } from '../support/testApp.js';
import { heartbeat, keyWithPhones, MINUTE, useJobsApp } from './helpers.js';

const T0 = '2026-11-22T10:00:00Z';
const jobs = useJobsApp({ SILENT_AFTER_MINUTES: '30', ALERT_GROUP_MIN: '5', SILENT_REOPEN_MINUTES: '0' }, T0);
const { clock } = jobs;
const alerts = () => jobs.app.fake.messagesIn(ALERT_CHANNEL).filter((m) => !m.thread_ts);
const silentPhones = () => runJob('silent-phones', jobs.app.context);

describe('a storm', () => {
  test('twelve phones silent in one run: one grouped alert listing them; each recovery in its thread; resolved when the last is back', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'site-lagos', 12);
    for (const n of numbers) await heartbeat(jobs.app.context, n);
    clock.advance(31 * MINUTE);
    expect((await silentPhones()).summary).toMatchObject({ detected: 12, posted: 1 });

    expect(alerts()).toHaveLength(1);
    const [group] = alerts();
    expect(group!.text).toContain('12 phones are silent');
    const shown = JSON.stringify(group!.blocks);
    for (const n of numbers) expect(shown).toContain(n);
    expect(await jobs.app.context.models.Incident.countDocuments()).toBe(1);
    expect(await jobs.app.context.models.Alert.countDocuments()).toBe(12);

    // Three come back: three replies, and the alert says so.
    clock.advance(5 * MINUTE);
    for (const n of numbers.slice(0, 3)) await heartbeat(jobs.app.context, n);
    clock.advance(MINUTE);
    await silentPhones();
    const replies = () => jobs.app.fake.threadReplies(ALERT_CHANNEL, group!.ts);
    expect(replies()).toHaveLength(3);
    expect(replies()[0]!.text).toContain('back online after 36 minutes');
    expect(replies()[2]!.text).toContain('9 of 12 still silent');
    const partly = jobs.app.fake.message(ALERT_CHANNEL, group!.ts)!;
    expect(partly.text).toContain('3 back, 9 still silent');
    expect(partly.text).not.toMatch(/Resolved/);

    // The rest come back: nine more replies; the alert reads resolved.
    for (const n of numbers.slice(3)) await heartbeat(jobs.app.context, n);
    clock.advance(MINUTE);
    await silentPhones();
    expect(replies()).toHaveLength(12);
    expect(replies()[11]!.text).toContain('All 12 are back');
    expect(jobs.app.fake.message(ALERT_CHANNEL, group!.ts)!.text).toMatch(/Resolved: all 12 phones are back online/);
    expect(alerts()).toHaveLength(1);

    // Nothing more on later runs.
    await silentPhones();
    expect(replies()).toHaveLength(12);
  });

  test('fewer than ALERT_GROUP_MIN in one run: an alert each', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'site-small', 4);
    for (const n of numbers) await heartbeat(jobs.app.context, n);
    clock.advance(31 * MINUTE);
    await silentPhones();
    expect(alerts()).toHaveLength(4);
    for (const n of numbers) expect(alerts().filter((m) => m.text?.includes(n))).toHaveLength(1);
  });

  test('phones that fall silent in different runs are not grouped together', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'site-staggered', 8);
    for (const n of numbers) await heartbeat(jobs.app.context, n);
    clock.advance(10 * MINUTE);
    for (const n of numbers.slice(4)) await heartbeat(jobs.app.context, n);
    clock.advance(21 * MINUTE);
    await silentPhones(); // the first four: below the threshold
    clock.advance(10 * MINUTE);
    await silentPhones(); // the other four
    expect(alerts()).toHaveLength(8);
  });
});

describe('a storm seen by two instances at once', () => {
  const shared = testClock(T0);
  const two = useTwoInstances('jobs_storm_two_instances', shared.now, { ALERT_GROUP_MIN: '5' });

  test('one grouped alert, its phones once', async () => {
    const { a, b } = two;
    const { numbers } = await keyWithPhones(a.context, 'site-abuja', 12);
    for (const n of numbers) await heartbeat(a.context, n);
    shared.advance(31 * MINUTE);
    await Promise.all([runJob('silent-phones', a.context), runJob('silent-phones', b.context)]);
    await Promise.all([runJob('silent-phones', a.context), runJob('silent-phones', b.context)]);
    const posted = a.fake.messagesIn(ALERT_CHANNEL).filter((m) => !m.thread_ts);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.text).toContain('12 phones are silent');
    expect(await a.context.models.Alert.countDocuments()).toBe(12);
  });
});
