import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { reportPeriod } from '../../src/domain/fleet.js';
import { testDatabaseUri } from '../support/database.js';
import { tsProcess } from '../support/processes.js';
import { ALERT_CHANNEL, startTestApp, type TestApp } from '../support/testApp.js';
import { alertMessageOf, DAY, HOUR, keyWithPhones } from './helpers.js';

/** `npm run job -- <name>` is `tsx src/cli/job.ts <name>`: run it as a real process. */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const uri = testDatabaseUri('jobs_cli');
const encryptionKey = randomBytes(32).toString('base64');
let app: TestApp;

beforeAll(async () => {
  // The app (system clock) seeds the database the process then works on, and owns the fake Slack.
  app = await startTestApp({ mongodbUri: uri, env: { KEY_ENCRYPTION_KEY: encryptionKey } });
});
afterAll(async () => {
  await app?.close();
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const spec = tsProcess('src/cli/job.ts', args, env);
    const child = spawn(process.execPath, spec.args, {
      cwd: repoRoot,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A valid configuration on the test database and its fake Slack. */
const workingEnv = (): Record<string, string> => ({
  MONGODB_URI: uri,
  SLACK_BOT_TOKEN: `xoxb-cli-${randomBytes(6).toString('hex')}`,
  SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
  SLACK_API_URL: app.fake.url,
  ALERT_CHANNEL_ID: ALERT_CHANNEL,
  KEY_ENCRYPTION_KEY: encryptionKey,
  LOG_LEVEL: 'warn',
});

test('npm run job -- silent-phones posts the alert of a due phone and exits 0', async () => {
  const { numbers, publicId } = await keyWithPhones(app.context, 'gw-cli');
  const number = numbers[0]!;
  // Silent for two hours, by the real clock the process uses.
  await app.context.models.Phone.updateOne({ number }, { $set: { lastHeartbeatAt: new Date(Date.now() - 2 * HOUR), state: 'up' } });

  const exit = await runCli(['silent-phones'], workingEnv());
  expect(exit.stderr).toBe('');
  expect(exit.code).toBe(0);
  expect(exit.stdout).toContain('silent-phones done');

  const posted = app.fake.messagesIn(ALERT_CHANNEL);
  expect(posted).toHaveLength(1);
  expect(posted[0]!.text).toContain(number);
  expect(posted[0]!.text).toContain(publicId);
  expect(await app.context.models.Phone.findOne({ number }).lean()).toMatchObject({ state: 'down' });
  expect(await alertMessageOf(app.context, number)).toMatchObject({ state: 'sent', ts: posted[0]!.ts, channel: ALERT_CHANNEL });
  // The lease was released when the process finished.
  expect(await app.context.models.JobLease.findOne({ name: 'silent-phones' }).lean()).toMatchObject({ until: null, lastError: null });
});

test('npm run job -- fleet-report, run twice, posts one report: the chart, then the summary', async () => {
  app.fake.reset();
  const { numbers } = await keyWithPhones(app.context, 'gw-fleet-cli', 2);
  // Last week by the real clock the process uses; both phones linked well before it.
  const period = reportPeriod(new Date());
  await app.context.models.Phone.updateMany(
    { number: { $in: numbers } },
    { $set: { lastHeartbeatAt: new Date(), state: 'up', firstLinkedAt: new Date(period.start.getTime() - DAY) } },
  );
  // Hourly totals as the receiver keeps them: the first phone online all week, the second down its first 42 hours.
  const hours = Array.from({ length: 168 }, (_, h) => new Date(period.start.getTime() + h * HOUR));
  await app.context.models.PhoneHour.insertMany(
    numbers.flatMap((phoneNumber, i) =>
      hours.map((hour, h) => ({
        phoneNumber,
        hour,
        heartbeats: 60,
        onlineMs: i === 1 && h < 42 ? 0 : HOUR,
        delivered: h % 24 === 0 ? 1 : 0,
      })),
    ),
  );
  const env = workingEnv();

  const first = await runCli(['fleet-report'], env);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toContain('"posted":1');
  const second = await runCli(['fleet-report'], env);
  expect(second.code).toBe(0);
  expect(second.stdout).toContain('"posted":0');

  const posted = app.fake.messagesIn(ALERT_CHANNEL);
  expect(posted).toHaveLength(2);
  const png = PNG.sync.read(posted[0]!.files![0]!.bytes!);
  expect(png.width).toBe(1200);
  expect(posted[1]!.text).toContain('fleet online 87.5 %');
  expect(posted[1]!.text).toContain(`Least online: ${numbers[1]} (gw-fleet-cli (pk_`);
  expect(posted[1]!.text).toContain('75.0 %');
  expect(posted[1]!.text).toContain('14 delivered, 0 failed, 0 expired');
});

test('npm run job -- phone-health posts the failing alert of a phone whose sends keep failing, once', async () => {
  const { numbers } = await keyWithPhones(app.context, 'gw-cli-failing');
  const number = numbers[0]!;
  // What the receiver keeps at ingest after five failed sends (the webhook path is tested in phoneHealth.test.ts).
  await app.context.models.Phone.updateOne(
    { number },
    { $set: { sendFailures: 5, firstFailedSendAt: new Date(Date.now() - HOUR), recentFailureReasons: ['out of credit'], state: 'up' } },
  );
  const env = workingEnv();
  for (let run = 0; run < 2; run++) {
    const exit = await runCli(['phone-health'], env);
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('phone-health done');
  }
  const posted = app.fake.messagesIn(ALERT_CHANNEL).filter((m) => m.text?.includes(number));
  expect(posted).toHaveLength(1);
  expect(posted[0]!.text).toContain('cannot send SMS');
  expect(await alertMessageOf(app.context, number, 'failing')).toMatchObject({ state: 'sent', ts: posted[0]!.ts });
});

test('an unknown job name prints the usage with the job names and exits 2', async () => {
  const exit = await runCli(['silent-phone']);
  expect(exit.code).toBe(2);
  expect(exit.stderr).toContain('unknown job "silent-phone"');
  for (const name of ['silent-phones', 'phone-health', 'key-rotation', 'expire-rotated-keys']) expect(exit.stderr).toContain(name);
});

test('invalid configuration prints the problems and exits 1', async () => {
  const exit = await runCli(['key-rotation'], { SLACK_BOT_TOKEN: 'not-a-bot-token' });
  expect(exit.code).toBe(1);
  expect(exit.stderr).toContain('SLACK_BOT_TOKEN');
  expect(exit.stderr).toContain('ALERT_CHANNEL_ID');
});
