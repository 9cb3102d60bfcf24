/**
 * MongoDB going away and coming back, with no restart (README: Operations → When MongoDB is unavailable). The app's
 * database is reached through a TCP proxy the test can cut (the port refuses: the host is down)
 * or blackhole (connections hang: a network partition), and restore on the same port with the
 * data kept — whatever the test database is (CongoDB or a real mongod).
 */
import mongoose from 'mongoose';
import { afterEach, expect, it } from 'vitest';
import { createDomain } from '../../src/domain/index.js';
import { runJob } from '../../src/jobs/index.js';
import { defineModels } from '../../src/models/index.js';
import { DATABASE_UNAVAILABLE } from '../../src/slack/blocks/answers.js';
import { command } from '../bot/helpers.js';
import { testDatabaseUri } from '../support/database.js';
import { sampleValue, scrape } from '../support/prometheus.js';
import { proxyTarget, startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, post, register, type TestKey } from '../webhooks/support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function timed<T>(work: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work;
  return { result, ms: Math.round(performance.now() - started) };
}

/**
 * An app whose MongoDB (its primary, whatever the shape of MONGODB_URI) is behind a proxy; a key
 * with a linked phone that has heartbeats (its key cached). Skips the test, saying why, when no
 * proxy can be put in front of the database.
 */
async function appBehindProxy(name: string, test: { skip(note?: string): never }) {
  const uri = testDatabaseUri(name);
  const target = await proxyTarget(uri);
  if ('skip' in target) {
    console.log(`[outage] skipped: ${target.skip}`);
    return test.skip(target.skip);
  }
  const proxy: TcpProxy = await startTcpProxy(target);
  cleanup.push(() => proxy.close());
  const clock = testClock(new Date());
  const app: TestApp = await startTestApp({ clock: clock.now, mongodbUri: target.through(proxy) });
  cleanup.push(() => app.close());
  const key = await createKey(app);
  const number = newNumber();
  await register(app, clock, key, [number]);
  expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
  const heartbeat = (k: TestKey = key) => post(app, clock, { key: k.key, event: heartbeatEvent(clock, [number]), timeoutMs: 15_000 });
  return { uri, proxy, clock, app, key, number, heartbeat };
}

async function eventually(condition: () => boolean, withinMs: number): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > withinMs) throw new Error(`not true within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Polls /readyz until 200; how long that took. */
async function readyAgain(app: TestApp, withinMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < withinMs) {
    if ((await fetch(`${app.baseUrl}/readyz`)).status === 200) return Math.round(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`/readyz not 200 within ${withinMs} ms after MongoDB came back`);
}

it('MongoDB down (port refused): 503s, /readyz 503, a clear Slack answer, jobs skipped; all resumes without a restart', async (test) => {
  const { uri, proxy, clock, app, key, number, heartbeat } = await appBehindProxy('outage_down', test);
  const stranger = await createKey(app); // never used: not in the key cache
  expect(sampleValue((await scrape(app.baseUrl)).samples, 'phonekeys_keys', { status: 'active' })).toBe(2);
  await proxy.cut();

  // Phones: 503 with a reason, fast; for a cached key and for one never seen.
  for (const k of [key, stranger]) {
    const { result, ms } = await timed(heartbeat(k));
    console.log(`[outage] database down: webhook answered ${result.status} in ${ms} ms`);
    expect(result.status).toBe(503);
    expect(result.body.error).toMatch(/database.*retry later/);
    expect(ms).toBeLessThan(4_000);
  }

  // Health: alive but not ready; metrics still answer, saying the database is down.
  expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
  const ready = await timed(fetch(`${app.baseUrl}/readyz`));
  expect(ready.result.status).toBe(503);
  expect(ready.ms).toBeLessThan(2_000);
  const metrics = await timed(scrape(app.baseUrl));
  expect(metrics.result.status).toBe(200);
  expect(metrics.ms).toBeLessThan(2_500);
  expect(sampleValue(metrics.result.samples, 'phonekeys_database_up')).toBe(0);
  expect(sampleValue(metrics.result.samples, 'phonekeys_webhook_requests_total', { type: 'phone.heartbeat', status: '503' })).toBe(1);
  expect(sampleValue(metrics.result.samples, 'phonekeys_webhook_refusals_total', { reason: 'database_unavailable' })).toBe(2);
  // the gauges keep their last scraped values rather than vanish
  expect(sampleValue(metrics.result.samples, 'phonekeys_keys', { status: 'active' })).toBe(2);

  // Slack: a clear ephemeral answer, not "something went wrong".
  const answer = await timed(command(app, 'list'));
  expect(answer.result.text).toBe(DATABASE_UNAVAILABLE);
  expect(answer.result.response_type).toBe('ephemeral');

  // Jobs: skipped, and logged.
  expect(await runJob('silent-phones', app.context)).toMatchObject({ outcome: 'skipped', reason: 'database unavailable' });
  expect(app.logs.some((l) => l.includes('could not take the job lease'))).toBe(true);

  // MongoDB comes back on the same address: everything resumes, same process.
  await proxy.restore();
  const recoveredMs = await readyAgain(app, 10_000);
  console.log(`[outage] /readyz 200 again ${recoveredMs} ms after MongoDB came back`);
  // ingest: accepted and stored again
  expect((await heartbeat()).status).toBe(202);
  const strangerNumber = newNumber();
  await register(app, clock, stranger, [strangerNumber]);
  expect((await post(app, clock, { key: stranger.key, event: heartbeatEvent(clock, [strangerNumber]) })).status).toBe(202);
  expect(await app.context.models.PhoneEvent.countDocuments({ type: 'phone.heartbeat', phoneNumber: number })).toBe(2);
  // Slack and jobs
  expect((await command(app, 'list')).text).not.toBe(DATABASE_UNAVAILABLE);
  expect((await runJob('silent-phones', app.context)).outcome).toBe('ok');
  expect(sampleValue((await scrape(app.baseUrl)).samples, 'phonekeys_database_up')).toBe(1);

  // The key cache polls again (while its polls failed it was bypassed: every request read its key),
  // so a revocation by another instance (its own connection and domain) reaches this one within a
  // second through the poll.
  await eventually(() => app.logs.some((l) => l.includes('"msg":"key cache: polling works again"')), 3_000);
  expect((await heartbeat()).status).toBe(202); // cached again
  const other = await mongoose.createConnection(uri).asPromise();
  cleanup.push(() => other.close());
  const otherDomain = createDomain(defineModels(other), app.context.config, clock.now);
  await otherDomain.keys.revoke(key.publicId, 'UOTHER');
  const revokedAt = performance.now();
  let status = 0;
  while (status !== 401 && performance.now() - revokedAt < 2_000) {
    status = (await heartbeat()).status;
    if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(status).toBe(401);
  expect(performance.now() - revokedAt).toBeLessThan(1_000);

  // The outage is in the log: its start and its end (the key cache polls every 500 ms, so it notices both).
  const warnings = app.logs.map((l) => JSON.parse(l) as { msg: string; level: string });
  expect(warnings.some((l) => l.level === 'warn' && l.msg.startsWith('key cache: polling for changed keys failed'))).toBe(true);
  expect(warnings.some((l) => l.level === 'warn' && l.msg.startsWith('Slack request could not be done: the database is unavailable'))).toBe(
    true,
  );
  expect(warnings.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
}, 30_000);

it('MongoDB unreachable (connections hang: a partition): webhooks 503 within the 4 s deadline, /readyz and /metrics answer; recovers', async (test) => {
  const { proxy, app, heartbeat } = await appBehindProxy('outage_partition', test);
  proxy.blackhole();

  const { result, ms } = await timed(heartbeat());
  console.log(`[outage] partition: webhook answered ${result.status} in ${ms} ms`);
  expect(result.status).toBe(503);
  expect(result.body.error).toMatch(/did not answer within 4 s; retry later/);
  expect(ms).toBeGreaterThanOrEqual(3_900);
  expect(ms).toBeLessThan(5_000);

  const [ready, metrics] = await Promise.all([timed(fetch(`${app.baseUrl}/readyz`)), timed(scrape(app.baseUrl))]);
  expect(ready.result.status).toBe(503);
  expect(ready.ms).toBeLessThan(2_000);
  expect(metrics.result.status).toBe(200);
  expect(metrics.ms).toBeLessThan(2_500);
  expect(sampleValue(metrics.result.samples, 'phonekeys_database_up')).toBe(0);
  expect(sampleValue(metrics.result.samples, 'phonekeys_webhook_refusals_total', { reason: 'database_timeout' })).toBe(1);

  await proxy.restore();
  const recoveredMs = await readyAgain(app, 10_000);
  console.log(`[outage] partition over: /readyz 200 again after ${recoveredMs} ms`);
  const again = await timed(heartbeat());
  expect(again.result.status).toBe(202);
  expect(again.ms).toBeLessThan(1_000);
}, 30_000);
