import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createPhonekeys, type Phonekeys } from '../../src/app.js';
import { buildContext } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import type { AppContext } from '../../src/context.js';
import type { Clock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/logger.js';
import { testDatabaseUri } from './database.js';
import { type FakeSlack, startFakeSlack } from './fakeSlack.js';
import { type SlackTestClient, slackClient } from './slackRequests.js';

/** A clock tests move by hand: no sleeping. */
export interface TestClock {
  now: Clock;
  set(date: Date | string): void;
  advance(ms: number): void;
}

export function testClock(start: Date | string = '2026-11-22T10:00:00Z'): TestClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    set: (date) => void (current = new Date(date).getTime()),
    advance: (ms) => void (current += ms),
  };
}

export const ALERT_CHANNEL = 'C0ALERTS';
export const ADMIN = 'UADMIN';

export interface TestApp {
  baseUrl: string;
  context: AppContext;
  phonekeys: Phonekeys;
  fake: FakeSlack;
  slack: SlackTestClient;
  signingSecret: string;
  /** Every log line this app wrote (JSON). */
  logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment (configuration) on top of the test defaults. */
  env?: Record<string, string>;
  clock?: Clock;
  /** A fake Slack to share (e.g. two instances); one is started (and closed) otherwise. */
  fake?: FakeSlack;
  /** A database to share (e.g. two instances on one database); a fresh one otherwise. */
  mongodbUri?: string;
  /** Start the scheduler (default false: tests call jobs directly). */
  runJobs?: boolean;
  /** Open connections allowed from one client address (the app's default otherwise). */
  maxConnectionsPerIp?: number;
}

/**
 * The whole app on loopback, as in production, with Slack's Web API faked and a
 * database of its own. Log lines are kept in memory and appended to the run's
 * log file, which the log-scan test reads for leaked secrets.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const fake = options.fake ?? (await startFakeSlack());
  const signingSecret = randomBytes(16).toString('hex');
  const env = {
    SLACK_BOT_TOKEN: `xoxb-test-${randomBytes(8).toString('hex')}`,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: fake.url,
    ALERT_CHANNEL_ID: ALERT_CHANNEL,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    RUN_JOBS: 'false',
    LOG_LEVEL: 'debug',
    ...options.env,
  };
  const config = loadConfig(env);
  const logs: string[] = [];
  const logFile = testLogFile();
  if (logFile) rememberSecrets([env.SLACK_BOT_TOKEN, env.SLACK_SIGNING_SECRET, env.KEY_ENCRYPTION_KEY]);
  const logger = createLogger({
    level: config.logLevel,
    // Unscrubbed: the run's log scan (globalSetup) must see what the code itself writes.
    scrub: false,
    destination: {
      write(line: string) {
        logs.push(line);
        if (logFile) appendFileSync(logFile, line);
      },
    },
  });
  const context = await buildContext(config, {
    logger,
    clock: options.clock,
    slackRetries: { retries: 0 },
    mongodbUri: options.mongodbUri ?? testDatabaseUri(),
  });
  const phonekeys = createPhonekeys(context, {
    slackRetries: { retries: 0 },
    runJobs: options.runJobs ?? false,
    maxConnectionsPerIp: options.maxConnectionsPerIp,
  });
  const port = await phonekeys.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${port}`;
  const slack = slackClient({ baseUrl, signingSecret, responseUrl: (message) => fake.responseUrl(message) });
  return {
    baseUrl,
    context,
    phonekeys,
    fake,
    slack,
    signingSecret,
    logs,
    async close() {
      await phonekeys.close();
      if (!options.fake) await fake.close();
    },
  };
}

/** Secrets of this test process that must never appear in a log line (checked at the end of the run). */
export function rememberSecrets(secrets: string[]): void {
  const dir = process.env.PHONEKEYS_TEST_LOG_DIR;
  if (dir) appendFileSync(join(dir, `secrets-${process.pid}.txt`), secrets.map((s) => `${s}\n`).join(''));
}

/** One log file per test process (the directory comes from globalSetup), or none outside vitest. */
function testLogFile(): string | undefined {
  const dir = process.env.PHONEKEYS_TEST_LOG_DIR;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  return join(dir, `app-${process.pid}.log`);
}

/**
 * Two instances of the app on one database (same encryption key, one fake Slack), as behind a
 * load balancer. Registers the vitest hooks; read `.a` and `.b` inside tests.
 */
export function useTwoInstances(
  databaseName: string,
  clock?: Clock,
  extraEnv: Record<string, string> = {},
): { readonly a: TestApp; readonly b: TestApp } {
  const mongodbUri = testDatabaseUri(databaseName);
  const env = { KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'), ...extraEnv };
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  beforeAll(async () => {
    a = await startTestApp({ clock, mongodbUri, env });
    b = await startTestApp({ clock, mongodbUri, env, fake: a.fake });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });
  return {
    get a() {
      if (!a) throw new Error('useTwoInstances: read .a inside a test');
      return a;
    },
    get b() {
      if (!b) throw new Error('useTwoInstances: read .b inside a test');
      return b;
    },
  };
}
