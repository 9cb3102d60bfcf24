/**
 * Proves the test database behaves like MongoDB where the product relies on it: unique indexes
 * (E11000 from every write path, also under concurrency), whichever database the run uses, and
 * always also against a private CongoDB started through src/db/emulator.
 */
import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmulator } from '../src/db/emulator/index.js';
import { redactUri, testDatabaseUri, withDatabaseName } from './support/database.js';

interface Target {
  name: string;
  start(): Promise<{ uri: string; stop(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: `the run's test database (${inject('mongoKind')})`,
    start: async () => ({ uri: testDatabaseUri('harness'), stop: async () => {} }),
  },
  {
    name: 'a private CongoDB from startEmulator()',
    start: async () => {
      const congo = await startEmulator();
      return { uri: withDatabaseName(congo.uri, 'harness'), stop: congo.stop };
    },
  },
];

/** What the tests read of a driver error. */
type MongoErrorShape = {
  code?: number;
  message: string;
  keyPattern?: unknown;
  keyValue?: unknown;
  codeName?: string;
  writeErrors: { index: number }[];
};

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<MongoErrorShape> {
  try {
    await promise;
  } catch (error) {
    return error as MongoErrorShape;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

it('knows which database it runs on', () => {
  const kind = inject('mongoKind');
  expect(typeof kind).toBe('string');
  expect(kind.length).toBeGreaterThan(0);
  expect(inject('mongoUri')).toMatch(/^mongodb(\+srv)?:\/\//);
  console.log(`[harness.database.test] running on: ${kind}`);
});

const userSchema = new mongoose.Schema({ email: { type: String, unique: true }, name: String });
const phoneSchema = new mongoose.Schema({
  deviceId: { type: String, required: true, unique: true },
  apiKeyHash: { type: String, required: true, unique: true },
  slackUserId: String,
  seen: { type: Number, default: 0 },
}).index({ slackUserId: 1 }, { unique: true, partialFilterExpression: { slackUserId: { $exists: true } } });
const memberSchema = new mongoose.Schema({ team: String, user: String, role: String }).index({ team: 1, user: 1 }, { unique: true });

function defineModels(conn: Connection) {
  return {
    User: conn.model('HarnessUser', userSchema),
    Phone: conn.model('HarnessPhone', phoneSchema),
    Member: conn.model('HarnessMember', memberSchema),
  };
}

it('gives each test file its own database name on the same server', () => {
  const a = testDatabaseUri('same');
  const b = testDatabaseUri('same');
  expect(a).not.toBe(b);
  expect(withDatabaseName('mongodb://127.0.0.1:27017/', 'x')).toBe('mongodb://127.0.0.1:27017/x');
  expect(withDatabaseName('mongodb://h1:1,h2:2/app?replicaSet=rs0', 'x')).toBe('mongodb://h1:1,h2:2/x?replicaSet=rs0');
  // with credentials the old database stays the authSource
  expect(withDatabaseName('mongodb://u:p@h:1/app?tls=true', 'x')).toBe('mongodb://u:p@h:1/x?tls=true&authSource=app');
  expect(withDatabaseName('mongodb+srv://u:p@cluster.example.net', 'x')).toBe('mongodb+srv://u:p@cluster.example.net/x?authSource=admin');
  expect(redactUri('mongodb://u:p@h:1/app')).toBe('mongodb://***@h:1/app');
});

describe.each(targets)('$name', (target) => {
  let conn: Connection;
  let stop: () => Promise<void>;
  let User: ReturnType<typeof defineModels>['User'];
  let Phone: ReturnType<typeof defineModels>['Phone'];
  let Member: ReturnType<typeof defineModels>['Member'];

  beforeAll(async () => {
    const db = await target.start();
    stop = db.stop;
    conn = await mongoose.createConnection(db.uri).asPromise();
    ({ User, Phone, Member } = defineModels(conn));
    await Promise.all([User.init(), Phone.init(), Member.init()]);
  });

  afterAll(async () => {
    await conn?.dropDatabase();
    await conn?.close();
    await stop?.();
  });

  it('rejects a duplicate insert with E11000', async () => {
    await User.create({ email: 'dup@example.com', name: 'first' });
    const error = await rejection(User.create({ email: 'dup@example.com', name: 'second' }));
    expect(error.code).toBe(11000);
    expect(error.message).toMatch(
      /^E11000 duplicate key error collection: \S+\.harnessusers index: email_1 dup key: \{ email: "dup@example.com" \}/,
    );
    expect(error.keyPattern).toEqual({ email: 1 });
    expect(error.keyValue).toEqual({ email: 'dup@example.com' });
    expect(await User.countDocuments({ email: 'dup@example.com' })).toBe(1);
  });

  it('rejects an update that would duplicate a unique key', async () => {
    await User.create([{ email: 'u1@example.com' }, { email: 'u2@example.com' }]);
    const error = await rejection(User.updateOne({ email: 'u2@example.com' }, { $set: { email: 'u1@example.com' } }));
    expect(error.code).toBe(11000);
    expect(await User.countDocuments({ email: 'u1@example.com' })).toBe(1);
    expect(await User.countDocuments({ email: 'u2@example.com' })).toBe(1);
  });

  it('rejects an upsert whose inserted document duplicates another unique field', async () => {
    await Phone.create({ deviceId: 'dev-1', apiKeyHash: 'hash-1' });
    const viaFindOneAndUpdate = await rejection(
      Phone.findOneAndUpdate({ deviceId: 'dev-2' }, { $setOnInsert: { apiKeyHash: 'hash-1' } }, { upsert: true, returnDocument: 'after' }),
    );
    expect(viaFindOneAndUpdate.code).toBe(11000);
    expect(viaFindOneAndUpdate.codeName).toBe('DuplicateKey');
    expect(viaFindOneAndUpdate.keyValue).toEqual({ apiKeyHash: 'hash-1' });

    const viaUpdateOne = await rejection(Phone.updateOne({ deviceId: 'dev-3' }, { $set: { apiKeyHash: 'hash-1' } }, { upsert: true }));
    expect(viaUpdateOne.code).toBe(11000);
    expect(await Phone.countDocuments({ apiKeyHash: 'hash-1' })).toBe(1);

    // a non-conflicting upsert still works and returns the new document
    const created = await Phone.findOneAndUpdate(
      { deviceId: 'dev-4' },
      { $setOnInsert: { apiKeyHash: 'hash-4' }, $inc: { seen: 1 } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(created).toMatchObject({ deviceId: 'dev-4', apiKeyHash: 'hash-4', seen: 1 });
  });

  it('inserts the non-duplicates of an unordered insertMany and reports the duplicate', async () => {
    await User.create({ email: 'bulk-taken@example.com' });
    const error = await rejection(
      User.insertMany([{ email: 'bulk-1@example.com' }, { email: 'bulk-taken@example.com' }, { email: 'bulk-2@example.com' }], {
        ordered: false,
      }),
    );
    expect(error.code).toBe(11000);
    expect(error.writeErrors).toHaveLength(1);
    expect(error.writeErrors[0]!.index).toBe(1);
    expect(await User.countDocuments({ email: /^bulk-/ })).toBe(3);
  });

  it('stops an ordered insertMany at the duplicate', async () => {
    await User.create({ email: 'ordered-taken@example.com' });
    const error = await rejection(
      User.insertMany([{ email: 'ordered-1@example.com' }, { email: 'ordered-taken@example.com' }, { email: 'ordered-2@example.com' }]),
    );
    expect(error.code).toBe(11000);
    expect(await User.countDocuments({ email: /^ordered-/ })).toBe(2);
  });

  it('rejects duplicates in bulkWrite', async () => {
    const error = await rejection(
      Phone.bulkWrite(
        [
          { insertOne: { document: { deviceId: 'bw-1', apiKeyHash: 'bw-hash' } } },
          {
            updateOne: {
              filter: { deviceId: 'bw-2' },
              update: { $setOnInsert: { apiKeyHash: 'bw-hash' } },
              upsert: true,
            },
          },
          { insertOne: { document: { deviceId: 'bw-3', apiKeyHash: 'bw-hash-3' } } },
        ],
        { ordered: false },
      ),
    );
    expect(error.code).toBe(11000);
    expect(await Phone.countDocuments({ deviceId: /^bw-/ })).toBe(2);
  });

  it('enforces a compound unique index on the combination only', async () => {
    await Member.create([
      { team: 't1', user: 'alice' },
      { team: 't1', user: 'bob' },
      { team: 't2', user: 'alice' },
    ]);
    const error = await rejection(Member.create({ team: 't1', user: 'alice', role: 'again' }));
    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ team: 't1', user: 'alice' });
    expect(await Member.countDocuments()).toBe(3);
  });

  it('respects a partialFilterExpression with $exists', async () => {
    // documents without slackUserId are outside the partial index: no conflict
    await Phone.create([
      { deviceId: 'p-1', apiKeyHash: 'p-hash-1' },
      { deviceId: 'p-2', apiKeyHash: 'p-hash-2' },
      { deviceId: 'p-3', apiKeyHash: 'p-hash-3', slackUserId: 'U1' },
    ]);
    const error = await rejection(Phone.create({ deviceId: 'p-4', apiKeyHash: 'p-hash-4', slackUserId: 'U1' }));
    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ slackUserId: 'U1' });
  });

  it('leaves one document after 20 concurrent upserts of one key', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        Phone.updateOne(
          { deviceId: 'race-upsert' },
          { $setOnInsert: { apiKeyHash: 'race-upsert-hash' }, $set: { slackUserId: `race-${i}` } },
          { upsert: true },
        ),
      ),
    );
    // mongod retries such upserts itself, so failures are allowed, but only as E11000
    for (const r of results) if (r.status === 'rejected') expect(r.reason.code).toBe(11000);
    expect(await Phone.countDocuments({ deviceId: 'race-upsert' })).toBe(1);
  });

  it('lets exactly one of 20 concurrent inserts of one key succeed', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => User.create({ email: 'race@example.com', name: `racer-${i}` })),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.length - failed.length).toBe(1);
    for (const r of failed) expect(r.reason.code).toBe(11000);
    expect(await User.countDocuments({ email: 'race@example.com' })).toBe(1);
  });

  it('lets exactly one of 20 concurrent findOneAndUpdate upserts claim a unique value', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        Phone.findOneAndUpdate(
          { deviceId: `claim-${i}` },
          { $setOnInsert: { apiKeyHash: 'claimed-hash' } },
          { upsert: true, returnDocument: 'after' },
        ),
      ),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.length - failed.length).toBe(1);
    for (const r of failed) expect(r.reason.code).toBe(11000);
    expect(await Phone.countDocuments({ apiKeyHash: 'claimed-hash' })).toBe(1);
  });

  it('keeps the indexes stable under syncIndexes', async () => {
    expect(await Phone.syncIndexes()).toEqual([]);
    const indexes = await Phone.listIndexes();
    expect(indexes.map((i: { name: string }) => i.name).sort()).toEqual(['_id_', 'apiKeyHash_1', 'deviceId_1', 'slackUserId_1'].sort());
    const partial = indexes.find((i: { name: string }) => i.name === 'slackUserId_1');
    expect(partial).toMatchObject({ unique: true, partialFilterExpression: { slackUserId: { $exists: true } } });
  });
});

describe('CongoDB index metadata (src/db/emulator)', () => {
  it('is per server and dropped with dropDatabase', async () => {
    const [a, b] = await Promise.all([startEmulator(), startEmulator()]);
    const clientA = await mongoose.createConnection(withDatabaseName(a.uri, 'meta')).asPromise();
    const clientB = await mongoose.createConnection(withDatabaseName(b.uri, 'meta')).asPromise();
    try {
      const collA = clientA.db!.collection('things');
      const collB = clientB.db!.collection('things');
      await collA.createIndex({ key: 1 }, { unique: true });
      await collB.insertOne({ key: 'x' });
      const names = async (coll: typeof collA) => (await coll.listIndexes().toArray()).map((i) => i.name);

      expect(await names(collA)).toEqual(['_id_', 'key_1']);
      expect(await names(collB)).toEqual(['_id_']); // server B never saw server A's index
      await collB.insertOne({ key: 'x' }); // and does not enforce it

      await collA.insertOne({ key: 'x' });
      await expect(collA.insertOne({ key: 'x' })).rejects.toMatchObject({ code: 11000 });

      await clientA.dropDatabase();
      await collA.insertOne({ key: 'x' });
      expect(await names(collA)).toEqual(['_id_']); // the index went with the database
      await collA.insertOne({ key: 'x' }); // and is no longer enforced
    } finally {
      await clientA.close();
      await clientB.close();
      await a.stop();
      await b.stop();
    }
  });

  it('refuses to build a unique index over duplicates, and drops indexes', async () => {
    const congo = await startEmulator();
    const client = await mongoose.createConnection(withDatabaseName(congo.uri, 'build')).asPromise();
    try {
      const coll = client.db!.collection('things');
      await coll.insertMany([{ key: 'x' }, { key: 'x' }]);
      await expect(coll.createIndex({ key: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
      await coll.createIndex({ other: 1 }, { unique: true, sparse: true });
      await coll.insertMany([{ key: 'y' }, { key: 'z' }]); // sparse: missing `other` is not indexed
      await coll.dropIndex('other_1');
      expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
    } finally {
      await client.close();
      await congo.stop();
    }
  });
});
