/** The database failing: the phone gets 503 (retry) within seconds, never a hang, and nothing half-stored. */
import mongoose from 'mongoose';
import { afterEach, expect, it } from 'vitest';
import { startEmulator } from '../../src/db/emulator/index.js';
import { defineModels } from '../../src/models/index.js';
import { testDatabaseUri, withDatabaseName } from '../support/database.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, post, register } from './support.js';

const clock = testClock('2026-11-22T10:00:00Z');
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function timed<T>(work: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work;
  return { result, ms: performance.now() - started };
}

it("answers 503 at once when the app's database connection is closed, for cached and uncached keys", async () => {
  const databaseUri = testDatabaseUri('webhook_503');
  const app: TestApp = await startTestApp({ clock: clock.now, mongodbUri: databaseUri });
  cleanup.push(() => app.close());
  const key = await createKey(app);
  const unknown = await createKey(app); // never used: not in the cache
  const number = newNumber();
  await register(app, clock, key, [number]);
  expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);

  await app.context.database.connection.close();
  clock.advance(30_000);
  for (const k of [key, unknown]) {
    const { result, ms } = await timed(post(app, clock, { key: k.key, event: heartbeatEvent(clock, [number]) }));
    expect(result).toMatchObject({ status: 503, body: { error: 'the database is unavailable; retry later' } });
    expect(ms).toBeLessThan(3_000);
  }

  // nothing was stored: look through a connection of our own
  const own = await mongoose.createConnection(databaseUri).asPromise();
  cleanup.push(() => own.close());
  const models = defineModels(own);
  expect(await models.PhoneEvent.countDocuments({ type: 'phone.heartbeat' })).toBe(1);
  expect(await models.Key.findOne({ keyId: key.keyId }).lean()).toMatchObject({ timesUsed: 2 });
  const log = app.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request' && l.status === 503);
  expect(log[0]).toMatchObject({ reason: 'database_unavailable', keyId: key.publicId, eventType: 'phone.heartbeat' });
});

it('answers 503 within a few seconds when the database server goes away', async () => {
  const congo = await startEmulator(); // a database server of this test's own, to stop
  cleanup.push(() => congo.stop());
  const app = await startTestApp({ clock: clock.now, mongodbUri: withDatabaseName(congo.uri, 'gone') });
  cleanup.push(() => app.close());
  const key = await createKey(app);
  const number = newNumber();
  await register(app, clock, key, [number]);

  await congo.stop();
  const { result, ms } = await timed(post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]), timeoutMs: 15_000 }));
  expect(result.status).toBe(503);
  expect(result.body.error).toBe('the database is unavailable; retry later');
  expect(ms).toBeLessThan(6_000);
});
