import { describe, expect, test, vi } from 'vitest';
import type { AppContext } from '../../src/context.js';
import { createScheduler, runJob, schedules } from '../../src/jobs/index.js';
import { acquireLease, DEFAULT_LEASE_MS } from '../../src/jobs/lease.js';
import { ALERT_CHANNEL, startTestApp, testClock } from '../support/testApp.js';
import { alertMessageOf, heartbeat, keyWithPhones, MINUTE, useJobsApp } from './helpers.js';

const T0 = '2026-11-22T10:00:00Z';
const jobs = useJobsApp();
const { clock } = jobs;

/** Job runs as /metrics counts them (phonekeys_job_runs_total), by `job:outcome`. */
async function runsCounted(context: AppContext): Promise<Record<string, number>> {
  const { values } = await context.metrics.jobRuns.get();
  return Object.fromEntries(values.map((v) => [`${v.labels.job}:${v.labels.outcome}`, v.value]));
}
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('job lease', () => {
  test('of two acquisitions at once exactly one wins', async () => {
    const { JobLease } = jobs.app.context.models;
    for (let round = 0; round < 5; round++) {
      await JobLease.deleteMany({});
      const now = clock.now();
      const leases = await Promise.all(Array.from({ length: 4 }, () => acquireLease(jobs.app.context.models, 'race', { now })));
      expect(leases.filter(Boolean)).toHaveLength(1);
    }
    // The document exists now: the held-lease path (no insert) is raced too.
    const now = clock.now();
    const again = await Promise.all(Array.from({ length: 4 }, () => acquireLease(jobs.app.context.models, 'race', { now })));
    expect(again.filter(Boolean)).toHaveLength(0);
    expect(await JobLease.countDocuments({ name: 'race' })).toBe(1);
  });

  test('a held lease blocks until released or expired; an expired one is taken over', async () => {
    const models = jobs.app.context.models;
    const first = await acquireLease(models, 'takeover', { now: clock.now(), holder: 'crashed-process#1' });
    expect(first).not.toBeNull();

    clock.advance(DEFAULT_LEASE_MS - 1);
    expect(await acquireLease(models, 'takeover', { now: clock.now() })).toBeNull();

    clock.advance(1); // until <= now: expired
    const second = await acquireLease(models, 'takeover', { now: clock.now(), holder: 'survivor#1' });
    expect(second).not.toBeNull();
    // The crashed holder coming back to release must not free the survivor's lease.
    await first!.release(clock.now());
    expect(await acquireLease(models, 'takeover', { now: clock.now() })).toBeNull();

    await second!.release(clock.now(), 'it went wrong');
    expect(await models.JobLease.findOne({ name: 'takeover' }).lean()).toMatchObject({
      holder: 'survivor#1',
      until: null,
      lastError: 'it went wrong',
    });
    expect(await acquireLease(models, 'takeover', { now: clock.now() })).not.toBeNull();
  });

  test('a job run skips while another holds its lease, and runs once it expired', async () => {
    const { numbers } = await keyWithPhones(jobs.app.context, 'gw-lease');
    await heartbeat(jobs.app.context, numbers[0]!);
    clock.advance(31 * MINUTE);
    await acquireLease(jobs.app.context.models, 'silent-phones', { now: clock.now(), holder: 'other-instance#7' });

    expect(await runJob('silent-phones', jobs.app.context)).toMatchObject({ outcome: 'skipped', reason: 'lease held by another run' });
    expect(await jobs.app.context.models.Alert.countDocuments()).toBe(0);

    clock.advance(DEFAULT_LEASE_MS);
    expect(await runJob('silent-phones', jobs.app.context)).toMatchObject({ outcome: 'ok' });
    expect(jobs.app.fake.messagesIn(ALERT_CHANNEL)).toHaveLength(1);
    // Released at the end: the next run need not wait.
    expect(await runJob('silent-phones', jobs.app.context)).toMatchObject({ outcome: 'ok' });
  });
});

describe('runJob', () => {
  test('a job that throws is a failed run: logged, lease released, reported; never thrown', async () => {
    const before = await runsCounted(jobs.app.context);
    try {
      vi.spyOn(jobs.app.context.domain.monitor, 'detectSilent').mockRejectedValueOnce(new Error('boom'));
      const failed = await runJob('silent-phones', jobs.app.context);
      expect(failed).toMatchObject({ name: 'silent-phones', outcome: 'failed', reason: 'boom' });
      expect(await jobs.app.context.models.JobLease.findOne({ name: 'silent-phones' }).lean()).toMatchObject({
        until: null,
        lastError: 'boom',
      });
      expect(jobs.app.logs.some((line) => line.includes('"job":"silent-phones"') && line.includes('job run failed'))).toBe(true);

      const ok = await runJob('silent-phones', jobs.app.context);
      expect(ok.outcome).toBe('ok');
      expect(ok.seconds).toBeGreaterThanOrEqual(0);
      const after = await runsCounted(jobs.app.context);
      expect(total(after) - total(before)).toBe(2);
      expect((after['silent-phones:failed'] ?? 0) - (before['silent-phones:failed'] ?? 0)).toBe(1);
      expect((after['silent-phones:ok'] ?? 0) - (before['silent-phones:ok'] ?? 0)).toBe(1);
    } finally {
      vi.restoreAllMocks();
    }
  });

  test('every job runs through runJob', async () => {
    for (const { name } of schedules(jobs.app.context)) {
      expect((await runJob(name, jobs.app.context)).outcome).toBe('ok');
    }
  });
});

describe('scheduler', () => {
  test('runs the jobs on their schedules and stop() waits for the run in progress', async () => {
    const sched = testClock(T0);
    const ticking = await startTestApp({ clock: sched.now, env: { SILENT_PHONES_CRON: '* * * * * *' } });
    try {
      const { numbers } = await keyWithPhones(ticking.context, 'gw-tick');
      await heartbeat(ticking.context, numbers[0]!);
      sched.advance(31 * MINUTE);
      // Slow Slack: the run is still posting when stop() is called.
      ticking.fake.setDelay('chat.postMessage', 400);

      const scheduler = createScheduler(ticking.context);
      scheduler.start();
      await vi.waitFor(
        () =>
          expect(
            ticking.fake.calls.some((c) => c.method === 'chat.postMessage'),
            JSON.stringify(ticking.fake.calls.map((c) => c.method)),
          ).toBe(true),
        { timeout: 5000, interval: 20 },
      );
      await scheduler.stop();
      // The run finished (alert recorded as posted) before stop() resolved.
      expect(await alertMessageOf(ticking.context, numbers[0]!)).toMatchObject({ state: 'sent' });
      const runs = await runsCounted(ticking.context);
      expect(runs['silent-phones:ok']).toBeGreaterThanOrEqual(1);

      // Stopped: no more runs.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(total(await runsCounted(ticking.context))).toBe(total(runs));
    } finally {
      await ticking.close();
    }
  });

  test('a run with the database gone is skipped, not thrown', async () => {
    const gone = await startTestApp({ clock: clock.now });
    await gone.context.database.close();
    try {
      expect(await runJob('silent-phones', gone.context)).toMatchObject({ outcome: 'skipped', reason: 'database unavailable' });
    } finally {
      await gone.close().catch(() => undefined);
    }
  });
});
