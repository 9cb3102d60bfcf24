import { performance } from 'node:perf_hooks';
import cron, { type ScheduledTask } from 'node-cron';
import type { AppContext } from '../context.js';
import type { Logger } from '../logger.js';
import { fleetReportJob } from './fleetReport.js';
import { expireRotatedKeysJob, keyRotationJob } from './keyRotation.js';
import { acquireLease, type Lease, leaseHolder, newHolderId } from './lease.js';
import { phoneHealthJob } from './phoneHealth.js';
import { silentPhonesJob } from './silentPhones.js';

/**
 * The scheduled jobs (README: Scheduled jobs and alerts; details in README.md here). Every run — on a schedule or from `npm run job` — goes
 * through runJob: it takes the job's lease in MongoDB (one run at a time across all
 * instances), runs, releases, and reports its outcome. Nothing here ever throws: errors are
 * logged and become a 'failed' (or, with the database away, 'skipped') outcome.
 *
 * Schedules: silent-phones, phone-health and expire-rotated-keys on SILENT_PHONES_CRON (the
 * expiry is one indexed query, and a rotated key should leave `rotating` soon after its grace
 * ends); key-rotation on KEY_ROTATION_CRON; fleet-report on FLEET_REPORT_CRON. Besides the jobs, the scheduler gives the Slack
 * outbox a pass every few seconds (no lease: its claims are per message), which is what redacts
 * reveal DMs on time and retries what Slack refused.
 */

/** The jobs `npm run job -- <name>` runs. */
export const JOB_NAMES = ['silent-phones', 'phone-health', 'key-rotation', 'expire-rotated-keys', 'fleet-report'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** The outbox's own tick (node-cron, seconds field). */
const OUTBOX_CRON = '*/10 * * * * *';

export type JobOutcome = 'ok' | 'failed' | 'skipped';

export interface JobRunResult {
  name: JobName;
  outcome: JobOutcome;
  /** Wall-clock duration of the run (not the injectable clock). */
  seconds: number;
  /** What the job did (counts), when it ran. */
  summary?: Record<string, number>;
  /** Why it was skipped or failed. */
  reason?: string;
}

export function isJobName(name: string): name is JobName {
  return (JOB_NAMES as readonly string[]).includes(name);
}

/** Each task returns counts of what it did (its run's summary). */
const TASKS: Record<JobName, (context: AppContext) => Promise<object>> = {
  'silent-phones': silentPhonesJob,
  'phone-health': phoneHealthJob,
  'key-rotation': keyRotationJob,
  'expire-rotated-keys': expireRotatedKeysJob,
  'fleet-report': fleetReportJob,
};

/** Counts a run's outcome and duration for /metrics. */
function report(result: JobRunResult, context: AppContext): JobRunResult {
  context.metrics.jobRuns.inc({ job: result.name, outcome: result.outcome });
  if (result.outcome !== 'skipped') context.metrics.jobDuration.observe({ job: result.name }, result.seconds);
  return result;
}

// ── one run ─────────────────────────────────────────────────────────────

/** Runs one job once, through its lease. Never throws; the result says what happened. */
export async function runJob(name: JobName, context: AppContext): Promise<JobRunResult> {
  const log = context.logger.child({ job: name });
  const started = performance.now();
  const seconds = () => Math.round(performance.now() - started) / 1000;

  // No readyState pre-check: mongoose reports 'disconnected' for a while after one missed
  // server heartbeat although commands still work; taking the lease is the real test.
  let lease: Lease | null;
  try {
    lease = await acquireLease(context.models, name, { holder: newHolderId(), now: context.clock() });
  } catch (error) {
    log.warn({ err: error }, 'could not take the job lease (database unavailable?); job run skipped');
    return report({ name, outcome: 'skipped', seconds: seconds(), reason: 'database unavailable' }, context);
  }
  if (!lease) {
    // Who holds it is only worth a read when someone will see the debug line.
    if (log.isLevelEnabled('debug')) {
      const holder = await leaseHolder(context.models, name, context.clock()).catch(() => null);
      log.debug({ holder: holder?.holder, until: holder?.until }, 'job is running elsewhere (lease held); run skipped');
    }
    return report({ name, outcome: 'skipped', seconds: seconds(), reason: 'lease held by another run' }, context);
  }

  let result: JobRunResult;
  try {
    const summary = (await TASKS[name](context)) as Record<string, number>;
    result = { name, outcome: 'ok', seconds: seconds(), summary };
    const didSomething = Object.values(summary).some((n) => n > 0);
    log[didSomething ? 'info' : 'debug']({ ...summary, seconds: result.seconds }, 'job run finished');
  } catch (error) {
    result = { name, outcome: 'failed', seconds: seconds(), reason: (error as Error)?.message ?? String(error) };
    log.error({ err: error, seconds: result.seconds }, 'job run failed');
  }
  try {
    await lease.release(context.clock(), result.outcome === 'failed' ? result.reason : null);
  } catch (error) {
    // The lease expires on its own; the next run after that goes ahead.
    log.warn({ err: error }, 'could not release the job lease; it will expire');
  }
  return report(result, context);
}

// ── the scheduler ───────────────────────────────────────────────────────

export interface Scheduler {
  start(): void;
  /** Stops scheduling and waits for runs in progress. */
  stop(): Promise<void>;
}

export interface Schedule {
  name: JobName;
  expression: string;
}

/** Which task runs when: configuration decides the jobs' schedules. */
export function schedules(context: AppContext): Schedule[] {
  const { cron: expressions } = context.config;
  return [
    { name: 'silent-phones', expression: expressions.silentPhones },
    { name: 'phone-health', expression: expressions.silentPhones },
    { name: 'expire-rotated-keys', expression: expressions.silentPhones },
    { name: 'key-rotation', expression: expressions.keyRotation },
    { name: 'fleet-report', expression: expressions.fleetReport },
  ];
}

export function createScheduler(context: AppContext): Scheduler {
  const log = context.logger.child({ component: 'scheduler' });
  const tasks: ScheduledTask[] = [];
  const running = new Set<Promise<JobRunResult>>();
  let stopped = false;

  const trigger = (name: JobName): Promise<JobRunResult> | undefined => {
    if (stopped) return undefined;
    const run = runJob(name, context).finally(() => running.delete(run));
    running.add(run);
    return run;
  };

  return {
    start() {
      if (stopped || tasks.length > 0) return;
      for (const { name, expression } of schedules(context)) {
        // noOverlap: a run still going when the next tick comes makes node-cron skip that tick.
        tasks.push(cron.schedule(expression, () => trigger(name), { name: `phonekeys:${name}`, noOverlap: true, logger: cronLogger(log) }));
      }
      tasks.push(cron.schedule(OUTBOX_CRON, () => context.slackOutbox.kick(), { name: 'phonekeys:slack-outbox', logger: cronLogger(log) }));
      // Whatever a previous process left owed (a redaction interrupted by its shutdown) goes now.
      context.slackOutbox.kick();
      log.info({ schedules: schedules(context) }, 'scheduler started');
    },
    async stop() {
      stopped = true;
      for (const task of tasks.splice(0)) await task.destroy();
      await Promise.allSettled([...running]);
    },
  };
}

/** node-cron's own messages (missed ticks, its errors) through our logger. */
function cronLogger(log: Logger) {
  const text = (message: string | Error) => (message instanceof Error ? message.message : message);
  return {
    info: (message: string) => log.debug(message),
    warn: (message: string) => log.warn(message),
    error: (message: string | Error) => log.error(text(message)),
    debug: (message: string | Error) => log.debug(text(message)),
  };
}
