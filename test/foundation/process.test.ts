import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../support/fakeSlack.js';
import { runTs } from '../support/processes.js';

let fake: FakeSlack;
beforeAll(async () => {
  fake = await startFakeSlack();
});
afterAll(async () => {
  await fake?.close();
});

const required = { SLACK_BOT_TOKEN: 'xoxb-process-test', SLACK_SIGNING_SECRET: 'process-test-secret', ALERT_CHANNEL_ID: 'C0ALERTS' };

test('bad configuration exits 1 with one message naming every bad variable', async () => {
  const proc = runTs('src/main.ts', [], { SLACK_BOT_TOKEN: required.SLACK_BOT_TOKEN, ALERT_CHANNEL_ID: 'general', PORT: '0' });
  expect(await proc.exited).toBe(1);
  const lines = proc.output().trim().split('\n');
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0]!) as { msg: string; problems: string[] };
  expect(line.msg).toContain('SLACK_SIGNING_SECRET');
  expect(line.msg).toContain('ALERT_CHANNEL_ID');
  expect(line.problems).toHaveLength(2);
});

// With only the three required variables and no MONGODB_URI: the embedded database
// (here, offline, the development emulator), health answers, SIGTERM exits 0.
test('starts on the embedded database, answers health checks and stops cleanly on SIGTERM', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'phonekeys-data-'));
  const proc = runTs('src/main.ts', [], { ...required, PORT: '0', SLACK_API_URL: fake.url, LOG_LEVEL: 'info', DATA_DIR: dataDir });
  try {
    const listening = JSON.parse(await proc.waitForLine(/"msg":"listening"/, 45_000)) as { port: number };
    expect(proc.output()).toMatch(/"database":"(embedded mongod|development emulator)/);
    const base = `http://127.0.0.1:${listening.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    // The alert channel's state rides along (the start check may still be asking Slack).
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      alert_channel: { id: required.ALERT_CHANNEL_ID, state: expect.stringMatching(/^(ok|unknown)$/) },
    });
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    for (const line of proc.output().trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
  } finally {
    proc.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
