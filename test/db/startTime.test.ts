/**
 * As a new user meets it: `npm start` (the real command: npm, the launcher, the compiled server)
 * twice on one DATA_DIR. The first may build and, offline, waits once for the mongod download to
 * fail; a key is created from Slack; SIGTERM. The second, with nothing changed, neither builds
 * nor tries the download again, answers /healthz within 5 s, and `/keys list` still shows the
 * key. The times are printed. And when a build is due, a configuration problem is reported
 * before it, not after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKeyThroughSlack, keysCommand, slackFor } from '../ops/support.js';
import { type FakeSlack, startFakeSlack } from '../support/fakeSlack.js';
import { REPO_ROOT } from '../support/processes.js';
import { newServerSecrets } from '../support/serverProcess.js';
import { ALERT_CHANNEL } from '../support/testApp.js';

let fake: FakeSlack;
const dataDir = mkdtempSync(join(tmpdir(), 'phonekeys-data-'));
beforeAll(async () => {
  fake = await startFakeSlack();
});
afterAll(async () => {
  await fake?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Start {
  baseUrl: string;
  /** From spawning `npm start` to the first 200 from /healthz. */
  ms: number;
  output: string;
  stop(): Promise<void>;
}

/** `npm start` in its own process group (npm does not pass SIGTERM on), until /healthz answers. */
async function npmStart(env: Record<string, string>): Promise<Start> {
  const started = performance.now();
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  };
  try {
    const deadline = started + 150_000;
    for (;;) {
      const listening = /"port":(\d+),"msg":"listening"/.exec(output);
      const baseUrl = `http://127.0.0.1:${listening?.[1]}`;
      if (listening && (await fetch(`${baseUrl}/healthz`).catch(() => undefined))?.status === 200) {
        return { baseUrl, ms: Math.round(performance.now() - started), output, stop };
      }
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`npm start did not answer /healthz:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

it('npm start, a key from Slack, SIGTERM, npm start again: answers within 5 s and still lists the key', async () => {
  const secrets = newServerSecrets();
  const env = {
    ...secrets,
    ALERT_CHANNEL_ID: ALERT_CHANNEL,
    SLACK_API_URL: fake.url,
    PORT: '0',
    DATA_DIR: dataDir,
    RUN_JOBS: 'false',
  };
  const first = await npmStart(env);
  let key: { publicId: string };
  try {
    key = await createKeyThroughSlack(slackFor(first.baseUrl, secrets.SLACK_SIGNING_SECRET, fake), fake, 'first-start-gw');
  } finally {
    await first.stop();
  }
  const second = await npmStart(env);
  try {
    console.log(`[npm start] first: /healthz after ${first.ms} ms; second, nothing changed: ${second.ms} ms`);
    expect(second.output).not.toMatch(/tsc|error TS/);
    expect(second.output).not.toContain('mongod download');
    expect(second.ms).toBeLessThan(5_000);
    const list = await keysCommand(slackFor(second.baseUrl, secrets.SLACK_SIGNING_SECRET, fake), fake, 'list');
    expect(JSON.stringify(list.blocks)).toContain(key.publicId);
  } finally {
    await second.stop();
  }
}, 180_000);

it('reports a configuration problem before building, not after', async () => {
  const stamp = join(REPO_ROOT, 'dist', '.source-hash');
  const recorded = existsSync(stamp) ? readFileSync(stamp, 'utf8') : undefined;
  rmSync(stamp, { force: true }); // as if src/ had changed since the last build
  try {
    const started = performance.now();
    const child = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SLACK_SIGNING_SECRET: 'a-signing-secret', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const [code] = await once(child, 'exit');
    const ms = Math.round(performance.now() - started);
    console.log(`[npm start] bad configuration with a build due: exit ${code} after ${ms} ms`);
    expect(code).toBe(1);
    const fatal = JSON.parse(output.split('\n').find((line) => line.includes('"level":"fatal"'))!) as { problems: string[] };
    expect(fatal.problems.join(' ')).toMatch(/SLACK_BOT_TOKEN.*ALERT_CHANNEL_ID|ALERT_CHANNEL_ID.*SLACK_BOT_TOKEN/);
    expect(existsSync(stamp), 'no build ran').toBe(false);
  } finally {
    if (recorded !== undefined) writeFileSync(stamp, recorded);
  }
}, 60_000);
