/**
 * README: Operations → SIGTERM: stop accepting, finish requests in flight, stop the scheduler, close MongoDB,
 * exit 0. A server process under a steady stream of signed heartbeats from phones on kept-alive
 * connections is sent SIGTERM mid-stream. Every 202 must be stored and nothing stored without a
 * 202; requests sent once shutdown has begun are refused (503, or the connection refused/reset:
 * the phone retries); the process exits 0 within 10 s.
 */
import http from 'node:http';
import mongoose from 'mongoose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineModels } from '../../src/models/index.js';
import { signWebhook } from '../../src/webhooks/signing.js';
import { testDatabaseUri } from '../support/database.js';
import { type FakeSlack, startFakeSlack } from '../support/fakeSlack.js';
import { phoneEvent, postPhoneWebhook } from '../support/phoneRequests.js';
import { logLinesOf, newServerSecrets, type ServerProcess, startServerProcess } from '../support/serverProcess.js';
import { startTestApp } from '../support/testApp.js';
import { createKeyThroughSlack, type SentWebhook, sendHeartbeat, slackFor, sleep } from './support.js';

const SENDERS = 6;
let fake: FakeSlack;
let server: ServerProcess;
const mongodbUri = testDatabaseUri('shutdown');
const secrets = newServerSecrets();

beforeAll(async () => {
  fake = await startFakeSlack();
  // The scheduler runs too (every second), so stopping it is part of the shutdown.
  server = await startServerProcess({
    mongodbUri,
    slackApiUrl: fake.url,
    secrets,
    env: { RUN_JOBS: 'true', SILENT_PHONES_CRON: '* * * * * *' },
  });
}, 60_000);
afterAll(async () => {
  server?.kill();
  await fake?.close();
});

it('SIGTERM under load: every 202 is stored, nothing else is, later requests are refused, exit 0 within 10 s', async () => {
  const { key } = await createKeyThroughSlack(slackFor(server.baseUrl, secrets.SLACK_SIGNING_SECRET, fake), fake, 'shutdown-gateway');
  const numbers = Array.from({ length: SENDERS }, (_, i) => `+23480123460${String(i).padStart(2, '0')}`);
  for (let i = 0; i < numbers.length; i += 2) {
    const res = await postPhoneWebhook(server.baseUrl, {
      key,
      event: phoneEvent('phone.registered', { phone_numbers: numbers.slice(i, i + 2) }),
    });
    expect(res.status).toBe(202);
  }
  await server.proc.waitForLine(/"msg":"scheduler started"/);

  // Each phone sends heartbeats back to back on its own kept-alive connection.
  const results: SentWebhook[] = [];
  let sending = true;
  const senders = numbers.map(async (number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    while (sending) {
      const sent = await sendHeartbeat(server.baseUrl, key, number, agent);
      results.push(sent);
      if (typeof sent.outcome === 'string') await sleep(10); // refused or reset: the phone backs off a little
    }
    agent.destroy();
  });
  while (results.filter((r) => r.outcome === 202).length < 150) await sleep(20);

  // One more phone is slow: its request is half sent when SIGTERM comes, the rest follows later.
  const slow = slowHeartbeat(server.baseUrl, key, numbers[0]!);
  await sleep(100); // the server has its headers: the request is in flight

  const termAt = performance.now();
  const stopping = server.stop();
  await server.proc.waitForLine(/"msg":"shutting down"/, 10_000);
  const shutdownSeenAt = performance.now();
  await sleep(300);
  expect(server.proc.child.exitCode, 'the server exited with a request in flight').toBeNull();
  const slowAnswer = await slow.finish();
  const { code } = await stopping;
  const exitedAt = performance.now();
  await sleep(300); // the phones keep trying a little longer: connection refused
  sending = false;
  await Promise.all(senders);

  // The request in flight at SIGTERM was finished: accepted, stored, and its connection closed
  // (Connection: close), rather than kept open for its keep-alive timeout (5 s) holding the exit.
  expect(slowAnswer.status).toBe(202);
  expect(slowAnswer.connection).toBe('close');
  expect(exitedAt - slowAnswer.at).toBeLessThan(2_000);
  results.push({ webhookId: slow.webhookId, startedAt: 0, endedAt: slowAnswer.at, outcome: slowAnswer.status });

  const own = await mongoose.createConnection(mongodbUri).asPromise();
  const stored = new Set(
    (await defineModels(own).PhoneEvent.find({ type: 'phone.heartbeat' }, { webhookId: 1 }).lean()).map((e) => e.webhookId),
  );
  await own.close();

  const accepted = results.filter((r) => r.outcome === 202);
  const inFlightAtTerm = accepted.filter((r) => r.startedAt < termAt && r.endedAt > termAt);
  const afterShutdownBegan = results.filter((r) => r.startedAt > shutdownSeenAt);
  const tally: Record<string, number> = {};
  for (const r of results) tally[r.outcome] = (tally[r.outcome] ?? 0) + 1;
  console.log(
    `[shutdown] exit ${code} ${Math.round(exitedAt - termAt)} ms after SIGTERM, ${Math.round(exitedAt - slowAnswer.at)} ms after the last request in flight was answered; ${results.length} requests: ${JSON.stringify(tally)}; ` +
      `${inFlightAtTerm.length} in flight at SIGTERM answered 202; ${afterShutdownBegan.length} sent after shutdown began; ${stored.size} stored`,
  );

  expect(code).toBe(0);
  expect(exitedAt - termAt).toBeLessThan(10_000);

  // Every 202 is stored; nothing is stored that was not answered 202.
  expect(accepted.length).toBeGreaterThanOrEqual(150);
  expect(stored).toEqual(new Set(accepted.map((r) => r.webhookId)));

  // Once shutdown began: nothing accepted, only "retry" answers.
  expect(afterShutdownBegan.length).toBeGreaterThan(0);
  for (const r of afterShutdownBegan) expect([503, 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']).toContain(r.outcome);
  for (const r of results) expect([202, 503, 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']).toContain(r.outcome);

  const logs = logLinesOf(server.proc);
  const stoppedLine = logs.find((l) => l.msg === 'stopped');
  expect(stoppedLine).toBeDefined();
  expect(logs.filter((l) => (l.level as number) >= 50)).toEqual([]); // no error logged while stopping
}, 60_000);

/** A heartbeat sent in two parts on a kept-alive connection: headers and half the body now, the rest on finish(). */
function slowHeartbeat(baseUrl: string, key: string, number: string) {
  const body = JSON.stringify(phoneEvent('phone.heartbeat', { phone_numbers: [number], charging: false, battery: 50 }));
  const headers = signWebhook({ key, body });
  const url = new URL('/webhooks/phone', baseUrl);
  const agent = new http.Agent({ keepAlive: true });
  let slowRequest: http.ClientRequest | undefined;
  const answer = new Promise<{ status: number; connection: string | undefined; at: number }>((resolve, reject) => {
    const req = http.request(
      {
        method: 'POST',
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, at: performance.now() }));
      },
    );
    req.on('error', reject);
    req.flushHeaders();
    req.write(body.slice(0, 20));
    slowRequest = req;
  });
  return {
    webhookId: headers['webhook-id']!,
    async finish() {
      slowRequest!.end(body.slice(20));
      try {
        return await answer;
      } finally {
        agent.destroy();
      }
    },
  };
}

it('close() lets Slack work that outlives its request finish (here a rotation whose reveal DM is slow) before closing MongoDB', async () => {
  const app = await startTestApp();
  const gateway = await app.context.domain.keys.create({ name: 'slow-dm-gateway', ipLock: { mode: 'off' }, actor: 'UADMIN' });
  app.fake.setDelay('chat.postMessage', 700);
  const responseUrl = app.fake.responseUrl();
  const ack = await app.slack.command(`rotate ${gateway.view.publicId}`, { responseUrl });
  expect(ack.status).toBe(200); // Slack has its answer; the rotation's work goes on

  const started = performance.now();
  await app.close();
  const closeMs = performance.now() - started;

  // By the time close() resolved, the work was done: the user was told, with the new key in their DM.
  const id = responseUrl.split('/').pop();
  const reply = app.fake.responses.find((r) => r.id === id);
  expect(reply?.body.text).toMatch(/^:arrows_counterclockwise: .* The new key is in your DMs/);
  expect(closeMs).toBeGreaterThan(300);
  expect(closeMs).toBeLessThan(8_000);
  expect(app.logs.filter((l) => /"level":"(error|fatal)"/.test(l))).toEqual([]);
});
