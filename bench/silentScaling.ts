/**
 * Part 5 of the bench: one run of the silent-phones job (runJob, as the scheduler and
 * `npm run job` run it) over a fleet of 1,000 and of 100,000 linked phones, 100 of them due
 * (silent for longer than SILENT_AFTER_MINUTES), alerts posted to the fake Slack Web API.
 *
 * What one run examined: on a real mongod, `explain('executionStats')` of the due query
 * (PhoneMonitor.dueQuery, through its partial index of linked phones); on the
 * emulator, which has no explain and reads the whole collection for anything but equality on a unique index, the
 * documents it read, counted inside the database process. Either way also the documents the
 * job's queries returned to the app (driver command monitoring).
 */

import type { AppContext } from '../src/context.js';
import { runJob } from '../src/jobs/index.js';
import { startFakeSlack } from '../test/support/fakeSlack.js';
import { CommandCounter, commandsBetween } from './commandCounter.js';
import type { DatabaseReady } from './databaseProcess.js';
import type { ChildHandle } from './ipc.js';
import { benchContext, benchDatabaseUri, productEnv } from './setup.js';

export interface SilentScalingOptions {
  database: ChildHandle<DatabaseReady>;
  sizes: number[];
  due: number;
  progress(line: string): void;
}

export interface FleetRun {
  phones: number;
  due: number;
  /** Phones inserted per second while seeding (the emulator's write speed, for the record). */
  seedPerSecond: number;
  runMs: number;
  detected: number;
  posted: number;
  /** Database commands the run sent. */
  commands: number;
  /** Documents the job's queries on phones returned to the app. */
  phoneDocsReturned: number;
  /** Real mongod: totalDocsExamined of the due query (explain). */
  dueQueryDocsExamined?: number;
  dueQueryKeysExamined?: number;
  /** Emulator: phone documents it read for the whole run (it scans the collection for the due query's range). */
  emulatorPhoneDocsScanned?: number;
}

export interface SilentScalingReport {
  database: 'mongod' | 'emulator';
  runs: FleetRun[];
  /** Run time of the largest fleet / of the smallest. */
  runTimeRatio: number;
  /** Documents examined, largest / smallest (mongod: the due query; emulator: everything it read). */
  examinedRatio: number;
}

const MINUTE = 60_000;

export async function benchSilentScaling(options: SilentScalingOptions): Promise<SilentScalingReport> {
  const fake = await startFakeSlack();
  const runs: FleetRun[] = [];
  try {
    for (const size of options.sizes) runs.push(await runFleet(options, size, fake.url));
  } finally {
    await fake.close();
  }
  const [small, large] = [runs[0]!, runs[runs.length - 1]!];
  const examined = (run: FleetRun) => run.dueQueryDocsExamined ?? run.emulatorPhoneDocsScanned ?? Number.NaN;
  return {
    database: options.database.ready.realMongod ? 'mongod' : 'emulator',
    runs,
    runTimeRatio: large.runMs / small.runMs,
    examinedRatio: examined(large) / examined(small),
  };
}

async function runFleet(options: SilentScalingOptions, size: number, slackApiUrl: string): Promise<FleetRun> {
  const uri = benchDatabaseUri(options.database.ready.uri, `silent_${size}`);
  const context = await benchContext(productEnv(uri, slackApiUrl));
  try {
    const seedPerSecond = await seedFleet(context, size, options.due);
    options.progress(`silent phones: ${size} phones seeded (${Math.round(seedPerSecond)}/s); one job run`);

    // Explained before the run, while the phones are due (the run turns them down).
    const explained = options.database.ready.realMongod ? await explainDueQuery(context) : {};
    const counter = new CommandCounter(context.database.connection.getClient());
    const scannedBefore = await options.database.call<Record<string, number> | null>('scanned');
    const commandsBefore = counter.snapshot();
    const started = performance.now();
    const result = await runJob('silent-phones', context);
    const runMs = performance.now() - started;
    const commands = commandsBetween(commandsBefore, counter.snapshot());
    const scannedAfter = await options.database.call<Record<string, number> | null>('scanned');
    if (result.outcome !== 'ok') throw new Error(`silent-phones run ${result.outcome}: ${result.reason}`);

    const run: FleetRun = {
      phones: size,
      due: options.due,
      seedPerSecond: Math.round(seedPerSecond),
      runMs: Math.round(runMs),
      detected: result.summary?.detected ?? 0,
      posted: result.summary?.posted ?? 0,
      commands: commands.total,
      phoneDocsReturned: commands.docsReturned.phones ?? 0,
    };
    if (scannedBefore && scannedAfter) {
      const phones = `${context.database.connection.name}.phones`;
      run.emulatorPhoneDocsScanned = (scannedAfter[phones] ?? 0) - (scannedBefore[phones] ?? 0);
    }
    Object.assign(run, explained);
    return run;
  } finally {
    await context.database.connection.dropDatabase().catch(() => undefined);
    await context.database.close();
  }
}

/**
 * `size` linked, unpaused phones that are up: `due` of them last heard from 45 minutes ago (past
 * SILENT_AFTER_MINUTES, 30), the rest within the last 10 minutes. Inserted directly, in chunks.
 */
export async function seedFleet(context: AppContext, size: number, due: number): Promise<number> {
  const keys: string[] = [];
  for (let i = 0; i < 10; i++)
    keys.push((await context.domain.keys.create({ name: `fleet-${i}`, ipLock: { mode: 'off' }, actor: 'UBENCH' })).view.keyId);
  const now = context.clock().getTime();
  const started = performance.now();
  const CHUNK = 5000;
  for (let start = 0; start < size; start += CHUNK) {
    const docs = Array.from({ length: Math.min(CHUNK, size - start) }, (_, j) => {
      const i = start + j;
      const lastHeartbeatAt = new Date(i < due ? now - 45 * MINUTE : now - ((i * 7919) % (10 * MINUTE)));
      return {
        number: `+2349${String(100_000_000 + i)}`,
        keyId: keys[i % keys.length]!,
        linkedAt: new Date(now - 60 * MINUTE),
        registeredAt: new Date(now - 60 * MINUTE),
        device: null,
        lastHeartbeatAt,
        charging: true,
        battery: 80,
        state: 'up',
        downSince: null,
        alertId: null,
        pausedUntil: null,
        pausedBy: null,
        createdAt: new Date(now - 60 * MINUTE),
        updatedAt: lastHeartbeatAt,
      };
    });
    await context.models.Phone.collection.insertMany(docs, { ordered: false });
  }
  return size / ((performance.now() - started) / 1000);
}

/**
 * The due query of the silent-phone check (PhoneMonitor.dueQuery, exactly as the job sends it),
 * explained by a real mongod: how many index keys and documents it examines.
 */
export async function explainDueQuery(context: AppContext): Promise<Pick<FleetRun, 'dueQueryDocsExamined' | 'dueQueryKeysExamined'>> {
  const explained = (await context.domain.monitor.dueQuery().explain('executionStats')) as unknown as {
    executionStats?: { totalDocsExamined: number; totalKeysExamined: number };
  };
  return {
    dueQueryDocsExamined: explained.executionStats?.totalDocsExamined,
    dueQueryKeysExamined: explained.executionStats?.totalKeysExamined,
  };
}
