/**
 * The embedded default (no MONGODB_URI), as a new user meets it: the server as a real process on
 * a DATA_DIR, Slack faked. Whatever engine this machine gives it (a downloaded mongod, or offline
 * the development emulator), keys survive a restart and a crash, a repeated webhook-id is stored
 * once, a second server on the same DATA_DIR is refused, and `npm run job` works on the running
 * server's data.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModels } from '../../src/models/index.js';
import { createKeyThroughSlack, keysCommand, slackFor } from '../ops/support.js';
import { type FakeSlack, startFakeSlack } from '../support/fakeSlack.js';
import { newWebhookId, phoneEvent, postPhoneWebhook } from '../support/phoneRequests.js';
import { runTs } from '../support/processes.js';
import { logLinesOf, newServerSecrets, type ServerProcess, startServerProcess } from '../support/serverProcess.js';
import { ALERT_CHANNEL } from '../support/testApp.js';

const secrets = newServerSecrets();
const dataDirs: string[] = [];
const running: ServerProcess[] = [];
let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFakeSlack();
});
afterAll(async () => {
  for (const server of running) server.kill();
  await fake?.close();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'phonekeys-data-'));
  dataDirs.push(dir);
  return dir;
}

async function startOn(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess({ slackApiUrl: fake.url, secrets, env: { DATA_DIR: dataDir, ...env } });
  running.push(server);
  return server;
}

const slackOf = (server: ServerProcess) => slackFor(server.baseUrl, secrets.SLACK_SIGNING_SECRET, fake);

/** The database the server on `dataDir` published in its lock file (how `npm run job` finds it). */
async function connectToEmbedded(dataDir: string) {
  const { uri } = JSON.parse(readFileSync(join(dataDir, 'phonekeys.lock'), 'utf8')) as { uri: string };
  const connection = await mongoose.createConnection(uri).asPromise();
  return { connection, models: defineModels(connection) };
}

function startupLines(server: ServerProcess): string[] {
  return logLinesOf(server.proc).map((line) => String(line.msg));
}

describe('one DATA_DIR through restarts', () => {
  const dataDir = newDataDir();
  let key: { key: string; keyId: string; publicId: string };

  it('keeps a key created from Slack across a SIGTERM restart, and says where the data lives', async () => {
    const first = await startOn(dataDir);
    const where = startupLines(first).find((msg) => msg.includes(`its data is kept in ${dataDir}/`));
    expect(where, startupLines(first).join('\n')).toBeDefined();
    console.log(`[embedded default] ${where}`);
    key = await createKeyThroughSlack(slackOf(first), fake, 'persist-gw');
    expect((await first.stop()).code).toBe(0);
    expect(existsSync(join(dataDir, 'phonekeys.lock')), 'the lock is released at a clean stop').toBe(false);

    const second = await startOn(dataDir);
    const list = await keysCommand(slackOf(second), fake, 'list');
    expect(JSON.stringify(list.blocks)).toContain(key.publicId);
    expect(JSON.stringify(list.blocks)).toContain('persist-gw');
  }, 120_000);

  it('answers a repeated webhook-id 200 and stores it once', async () => {
    const server = running.at(-1)!;
    const number = '+2348099900001';
    const registered = await postPhoneWebhook(server.baseUrl, {
      key: key.key,
      event: phoneEvent('phone.registered', { phone_numbers: [number] }),
    });
    expect(registered.status).toBe(202);
    const id = newWebhookId();
    const heartbeat = phoneEvent('phone.heartbeat', { phone_numbers: [number], charging: true, battery: 90 });
    expect((await postPhoneWebhook(server.baseUrl, { key: key.key, event: heartbeat, id })).status).toBe(202);
    const again = await postPhoneWebhook(server.baseUrl, { key: key.key, event: heartbeat, id });
    expect(again.status).toBe(200);

    const { connection, models } = await connectToEmbedded(dataDir);
    try {
      expect(await models.PhoneEvent.countDocuments({ webhookId: id })).toBe(1);
      expect(await models.Key.findOne({ keyId: key.keyId }, { timesUsed: 1 }).lean()).toMatchObject({ timesUsed: 2 });
    } finally {
      await connection.close();
    }
  }, 30_000);

  it('refuses a second server on the same DATA_DIR with a clear error, leaving the first untouched', async () => {
    const server = running.at(-1)!;
    const pid = server.proc.child.pid!;
    const second = runTs('src/main.ts', [], { ...server.env, DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    const fatal = logLinesOf(second).find((line) => line.level === 'fatal');
    expect(String(fatal?.msg)).toContain(`DATA_DIR ${dataDir} is in use by a phonekeys server (pid ${pid}`);
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
  }, 30_000);

  it('npm run job works on the running server’s data, and says so', async () => {
    const server = running.at(-1)!;
    const { connection, models } = await connectToEmbedded(dataDir);
    try {
      // The phone registered above fell silent two hours ago.
      await models.Phone.updateOne(
        { number: '+2348099900001' },
        { $set: { lastHeartbeatAt: new Date(Date.now() - 2 * 3600_000), state: 'up' } },
      );
    } finally {
      await connection.close();
    }
    const job = runTs('src/cli/job.ts', ['silent-phones'], { ...server.env, LOG_LEVEL: 'info' });
    expect(await job.exited, job.output()).toBe(0);
    expect(job.output()).toContain(`using the embedded database of the running phonekeys server (pid ${server.proc.child.pid})`);
    expect(job.output()).toMatch(/silent-phones done in .*"detected":1/);
    const alert = await fake.waitFor('chat.postMessage', (call) => call.args.channel === ALERT_CHANNEL);
    expect(JSON.stringify(alert.args)).toContain('+2348099900001');
    expect((await server.stop()).code).toBe(0);
  }, 60_000);
});

it('a crash loses nothing that was acknowledged: every 202 before a SIGKILL is there after the restart', async () => {
  const dataDir = newDataDir();
  const first = await startOn(dataDir);
  const { key } = await createKeyThroughSlack(slackOf(first), fake, 'crash-gw');
  const number = '+2348099900002';
  expect((await postPhoneWebhook(first.baseUrl, { key, event: phoneEvent('phone.registered', { phone_numbers: [number] }) })).status).toBe(
    202,
  );

  const accepted: string[] = [];
  let sending = true;
  const sender = (async () => {
    while (sending) {
      const id = newWebhookId();
      const heartbeat = phoneEvent('phone.heartbeat', { phone_numbers: [number], battery: 50 });
      const res = await postPhoneWebhook(first.baseUrl, { key, event: heartbeat, id, timeoutMs: 2_000 }).catch(() => undefined);
      if (res?.status === 202) accepted.push(id);
      if (!res) return;
    }
  })();
  while (accepted.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
  first.proc.child.kill('SIGKILL');
  sending = false;
  await sender;
  await first.proc.exited;
  expect(existsSync(join(dataDir, 'phonekeys.lock')), 'a crash leaves the lock behind').toBe(true);

  const second = await startOn(dataDir); // takes over the dead process's lock
  const { connection, models } = await connectToEmbedded(dataDir);
  try {
    const stored = await models.PhoneEvent.find({ webhookId: { $in: accepted } }, { webhookId: 1 }).lean();
    console.log(
      `[embedded default] SIGKILL after ${accepted.length} accepted heartbeats: ${stored.length} of them stored after the restart`,
    );
    expect(stored.map((e) => e.webhookId).sort()).toEqual([...accepted].sort());
    expect(await models.Key.countDocuments({ name: 'crash-gw' })).toBe(1);
  } finally {
    await connection.close();
  }
  expect((await second.stop()).code).toBe(0);
}, 120_000);
