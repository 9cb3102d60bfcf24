/**
 * The development emulator's own guarantees (src/db/emulator), beyond what the product tests
 * show through it: its data file survives restarts and crashes with types intact, a record cut
 * short by a crash is set aside while damage anywhere else stops the start, and TTL indexes
 * (collMod, expiry) work as on mongod.
 */
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose, { type Connection, Types } from 'mongoose';
import { afterAll, afterEach, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/db/emulator/index.js';

const folders: string[] = [];
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function newFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'phonekeys-emulator-'));
  folders.push(folder);
  return folder;
}

interface Opened {
  emulator: Emulator;
  db: Connection;
  /** A clean stop (the data file is rewritten as a snapshot). */
  close(): Promise<void>;
}

async function open(dataDir?: string): Promise<Opened> {
  const emulator = await startEmulator({ dataDir, ttlSweepMs: 0 });
  const db = await mongoose.createConnection(emulator.uri.replace('/?', '/app?')).asPromise();
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= db.close().then(() => emulator.stop()));
  cleanup.push(close);
  return { emulator, db, close };
}

const sample = () => ({
  _id: new Types.ObjectId(),
  name: 'gw-1',
  at: new Date('2026-11-22T10:00:00.123Z'),
  ref: new Types.ObjectId(),
  nested: { battery: 81, charging: true, seen: [new Date('2026-11-22T09:00:00Z')] },
  big: 2 ** 40,
  ratio: 0.25,
  none: null,
});

it('keeps documents and indexes across a restart, with dates and ObjectIds as they were', async () => {
  const dataDir = newFolder();
  const first = await open(dataDir);
  const doc = sample();
  await first.db.collection('things').insertOne(doc);
  await first.db.collection('things').createIndex({ name: 1 }, { unique: true });
  await first.db.collection('gone').insertOne({ x: 1 });
  await first.db.collection('gone').drop();
  await first.close();

  const second = await open(dataDir);
  expect(second.emulator.loaded).toMatchObject({ collections: 1, documents: 1, tornTailBytes: 0 });
  expect(await second.db.collection('things').findOne({ _id: doc._id })).toEqual(doc);
  expect((await second.db.collection('things').listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'name_1']);
  await expect(second.db.collection('things').insertOne({ name: 'gw-1' })).rejects.toMatchObject({ code: 11000 });
  expect((await second.db.listCollections()).map((c) => c.name)).toEqual(['things']);
});

it('a copy of the folder taken while running (what a crash leaves) holds every acknowledged write', async () => {
  const dataDir = newFolder();
  const { db } = await open(dataDir);
  const things = db.collection('things');
  await things.insertOne({ n: 1 });
  await things.updateOne({ n: 1 }, { $set: { n: 2, at: new Date(5) } });
  await things.insertMany([{ n: 3 }, { n: 4 }]);
  await things.deleteOne({ n: 3 });
  const crashed = newFolder();
  cpSync(dataDir, crashed, { recursive: true }); // no stop, no final snapshot

  const after = await open(crashed);
  const docs = await after.db
    .collection('things')
    .find({}, { projection: { _id: 0 } })
    .sort({ n: 1 })
    .toArray();
  expect(docs).toEqual([{ n: 2, at: new Date(5) }, { n: 4 }]);
});

it('sets aside a last record cut short by a crash, and refuses to start on damage elsewhere', async () => {
  const dataDir = newFolder();
  const first = await open(dataDir);
  await first.db.collection('things').insertOne({ n: 1 });
  await first.close();
  const file = join(dataDir, 'data.bson');
  const intact = readFileSync(file);

  appendFileSync(file, Buffer.from([0x40, 0x00, 0x00, 0x00, 0x02, 0x6f])); // a record's first bytes: the write was cut
  const torn = await open(dataDir);
  expect(torn.emulator.loaded?.tornTailBytes).toBe(6);
  expect(await torn.db.collection('things').countDocuments()).toBe(1);
  expect(readdirSync(dataDir).some((f) => f.startsWith('data.bson.torn-'))).toBe(true);
  await torn.close();

  const damaged = Buffer.from(intact);
  damaged[4] = 0x7f; // not a BSON type: the first record cannot be read, and it is not the last
  writeFileSync(file, damaged);
  await expect(startEmulator({ dataDir, ttlSweepMs: 0 })).rejects.toThrow(/data\.bson is damaged at byte 0 of/);
  expect(existsSync(file)).toBe(true); // left as it was, for the operator
});

it('changes a TTL with collMod and deletes expired documents like mongod', async () => {
  const dataDir = newFolder();
  const { db, emulator } = await open(dataDir);
  const events = db.collection('events');
  await events.createIndex({ receivedAt: 1 }, { expireAfterSeconds: 3600 });
  const now = new Date('2026-11-22T10:00:00Z');
  await events.insertMany([
    { n: 'old', receivedAt: new Date(now.getTime() - 2 * 3600_000) },
    { n: 'recent', receivedAt: new Date(now.getTime() - 1800_000) },
    { n: 'not a date', receivedAt: 'yesterday' },
  ]);
  expect(await emulator.sweepTtl(now)).toBe(1);
  expect((await events.find({}).toArray()).map((e) => e.n).sort()).toEqual(['not a date', 'recent']);

  const changed = await db.db!.command({ collMod: 'events', index: { keyPattern: { receivedAt: 1 }, expireAfterSeconds: 600 } });
  expect(changed).toMatchObject({ expireAfterSeconds_old: 3600, expireAfterSeconds_new: 600 });
  expect((await events.listIndexes().toArray()).find((i) => i.name === 'receivedAt_1')).toMatchObject({ expireAfterSeconds: 600 });
  expect(await emulator.sweepTtl(now)).toBe(1);
  await expect(db.db!.command({ collMod: 'events', index: { name: 'nope_1', expireAfterSeconds: 1 } })).rejects.toMatchObject({ code: 27 });
});

it('keeps enforcing a unique index over 20,000 documents (a lookup per write, not a scan)', async () => {
  const { db } = await open();
  const coll = db.collection('many');
  await coll.createIndex({ key: 1 }, { unique: true });
  const started = performance.now();
  for (let i = 0; i < 20; i++) await coll.insertMany(Array.from({ length: 1000 }, (_, j) => ({ key: `k${i * 1000 + j}` })));
  const ms = Math.round(performance.now() - started);
  console.log(`[emulator] 20,000 inserts with a unique index: ${ms} ms`);
  await expect(coll.insertOne({ key: 'k19999' })).rejects.toMatchObject({ code: 11000 });
  expect(await coll.countDocuments()).toBe(20_000);
});

/** Counts the documents CongoDB reads to answer queries (every query goes through findAll). */
function countReads(emulator: Emulator): () => number {
  const storage = emulator.storage;
  const findAll = storage.findAll.bind(storage);
  let read = 0;
  storage.findAll = async (db, coll) => {
    const documents = await findAll(db, coll);
    read += documents.length;
    return documents;
  };
  return () => {
    const n = read;
    read = 0;
    return n;
  };
}

it('answers equality on a unique index with a lookup, like mongod, and everything else as before', async () => {
  const { emulator, db } = await open();
  const phones = db.collection('phones');
  await phones.createIndex({ number: 1 }, { unique: true });
  await phones.createIndex({ keyId: 1, at: 1 }, { unique: true });
  await phones.createIndex({ name: 1 }, { unique: true, partialFilterExpression: { live: true } });
  await phones.insertMany(
    Array.from({ length: 500 }, (_, i) => ({
      number: `+1555${i}`,
      keyId: `k${i % 50}`,
      at: new Date(i * 1000),
      name: `n${i}`,
      live: i % 2 === 0,
    })),
  );
  const reads = countReads(emulator);

  expect(await phones.findOne({ number: '+15557' }, { projection: { _id: 0, keyId: 1 } })).toEqual({ keyId: 'k7' });
  expect(reads()).toBe(1);
  expect(await phones.countDocuments({ number: { $in: ['+15551', '+15552', '+1555999'] } })).toBe(2);
  expect(reads()).toBe(2);
  // The whole filter still decides: the candidate is read, then refused.
  expect(await phones.findOne({ number: '+15557', keyId: 'k8' })).toBeNull();
  expect(reads()).toBe(1);
  expect(await phones.findOne({ keyId: 'k3', at: new Date(3000) })).toMatchObject({ number: '+15553' });
  expect(reads()).toBe(1);
  const byId = await phones.findOne({ number: '+155542' });
  expect(await phones.findOne({ _id: byId!._id })).toMatchObject({ number: '+155542' });
  expect(reads()).toBe(2);

  // Shapes a lookup cannot answer read the collection: a range, part of a compound index, a partial index.
  expect(await phones.countDocuments({ at: { $gte: new Date(489_000) } })).toBe(11);
  expect(await phones.countDocuments({ keyId: 'k3' })).toBe(10);
  expect(await phones.countDocuments({ name: 'n3' })).toBe(1); // n3 is not live: outside the partial index, matched all the same
  expect(reads()).toBe(1500);

  // Each statement sees what the statements before it wrote; a changed key is found under its new value only.
  await phones.bulkWrite([
    { updateOne: { filter: { number: '+1999' }, update: { $inc: { n: 1 } }, upsert: true } },
    { updateOne: { filter: { number: '+1999' }, update: { $inc: { n: 1 } }, upsert: true } },
    { updateOne: { filter: { number: '+15550' }, update: { $set: { number: '+15550-moved' } } } },
  ]);
  expect(await phones.find({ number: '+1999' }).toArray()).toMatchObject([{ n: 2 }]);
  expect(await phones.findOne({ number: '+15550' })).toBeNull();
  expect(await phones.findOne({ number: '+15550-moved' })).toMatchObject({ keyId: 'k0' });
  await phones.deleteOne({ number: '+15550-moved' });
  expect(await phones.findOne({ number: '+15550-moved' })).toBeNull();
  await phones.insertOne({ number: '+15550-moved', keyId: 'k0', at: new Date(-1) });
  expect(await phones.findOneAndUpdate({ number: '+15550-moved' }, { $set: { back: true } }, { returnDocument: 'after' })).toMatchObject({
    back: true,
  });
  expect(reads()).toBeLessThan(20);
});
