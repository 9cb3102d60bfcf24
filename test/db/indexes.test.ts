/**
 * Bounded storage and indexes that follow the code: expired phone events are deleted (also on the
 * emulator), and each start makes the indexes what the models declare —
 * a changed TTL is changed in place, an index whose options changed is rebuilt, one the code no
 * longer declares is dropped — without failing, also with two instances starting at once.
 */
import mongoose from 'mongoose';
import { afterAll, afterEach, expect, it } from 'vitest';
import { startEmulator } from '../../src/db/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { defineModels, ensureIndexes } from '../../src/models/index.js';
import { testDatabaseUri, withDatabaseName } from '../support/database.js';

const DAY = 24 * 3600;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  await mongoose.disconnect();
});

async function connect(uri: string) {
  const connection = await mongoose.createConnection(uri).asPromise();
  cleanup.push(() => connection.close());
  return connection;
}

const indexesOf = async (connection: mongoose.Connection, collection: string) =>
  (await connection.db!.collection(collection).listIndexes().toArray()) as {
    name: string;
    key: object;
    expireAfterSeconds?: number;
    unique?: boolean;
  }[];

it('expired phone events are deleted (the emulator does what mongod’s TTL monitor does)', async () => {
  const emulator = await startEmulator({ ttlSweepMs: 0 });
  cleanup.push(() => emulator.stop());
  const connection = await connect(withDatabaseName(emulator.uri, 'ttl'));
  const models = defineModels(connection);
  await ensureIndexes(models);
  const now = new Date('2026-11-22T10:00:00Z');
  const event = (webhookId: string, expiresInDays: number) => ({
    keyId: 'abcdefgh',
    webhookId,
    type: 'phone.heartbeat',
    data: {},
    occurredAt: now,
    receivedAt: now,
    expiresAt: new Date(now.getTime() + expiresInDays * DAY * 1000),
  });
  await models.PhoneEvent.insertMany([event('expired', -1), event('kept', 1)]);
  expect(await emulator.sweepTtl(now)).toBe(1);
  expect((await models.PhoneEvent.find({}, { webhookId: 1 }).lean()).map((e) => e.webhookId)).toEqual(['kept']);
});

it('a start reconciles indexes changed in code: TTL in place, changed options rebuilt, removed ones dropped', async () => {
  const uri = testDatabaseUri('reconcile');
  const connection = await connect(uri);
  const db = connection.db!;
  // What an older version left: a 10-day TTL where the code now says 30, a TTL index since replaced
  // (events now expire at their own expiresAt), indexes since replaced, and the phone-number
  // index without its `unique`.
  await db.collection('webhook_refusals').createIndex({ windowStart: 1 }, { expireAfterSeconds: 10 * DAY });
  await db.collection('phone_events').createIndex({ receivedAt: 1 }, { expireAfterSeconds: 30 * DAY });
  await db.collection('phone_events').createIndex({ phoneNumbers: 1, receivedAt: 1 });
  await db.collection('phones').createIndex({ state: 1, lastHeartbeatAt: 1 });
  await db.collection('phones').createIndex({ number: 1 });
  await db.collection('phones').insertOne({ number: '+2348000000001', state: 'new' });

  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', scrub: false, destination: { write: (line: string) => void lines.push(line) } });
  // Two instances starting at the same time.
  const [first, second] = await Promise.all([
    ensureIndexes(defineModels(connection), logger),
    ensureIndexes(defineModels(await connect(uri))),
  ]);
  const changes = [...first, ...second];

  const refusals = await indexesOf(connection, 'webhook_refusals');
  expect(refusals.find((i) => i.name === 'windowStart_1')).toMatchObject({ expireAfterSeconds: 30 * DAY });
  const events = await indexesOf(connection, 'phone_events');
  expect(events.map((i) => i.name)).not.toContain('receivedAt_1');
  expect(events.map((i) => i.name)).not.toContain('phoneNumbers_1_receivedAt_1');
  expect(events.find((i) => i.name === 'expiresAt_1')).toMatchObject({ expireAfterSeconds: 0 });
  const phones = await indexesOf(connection, 'phones');
  expect(phones.map((i) => i.name)).not.toContain('state_1_lastHeartbeatAt_1');
  expect(phones.find((i) => i.name === 'number_1')).toMatchObject({ unique: true });
  await expect(db.collection('phones').insertOne({ number: '+2348000000001' })).rejects.toMatchObject({ code: 11000 });

  // Every declared index is there, and nothing else.
  for (const model of Object.values(defineModels(connection))) {
    const names = (await indexesOf(connection, model.collection.collectionName)).map((i) => i.name).sort();
    expect(names).toHaveLength(model.schema.indexes().length + 1);
  }
  expect(changes).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ collection: 'webhook_refusals', index: 'windowStart_1', change: 'ttl changed' }),
      expect.objectContaining({ collection: 'phone_events', index: 'receivedAt_1', change: 'dropped' }),
      expect.objectContaining({ collection: 'phone_events', index: 'phoneNumbers_1_receivedAt_1', change: 'dropped' }),
      expect.objectContaining({ collection: 'phones', index: 'state_1_lastHeartbeatAt_1', change: 'dropped' }),
      expect.objectContaining({ collection: 'phones', index: 'number_1', change: 'rebuilt' }),
    ]),
  );
  const logged = lines.map((l) => JSON.parse(l) as { msg: string; level: string; index?: string });
  expect(logged.some((l) => l.msg === 'index rebuilt' && l.level === 'warn' && l.index === 'number_1')).toBe(true);

  // The next start finds nothing to change.
  expect(await ensureIndexes(defineModels(connection))).toEqual([]);
});
