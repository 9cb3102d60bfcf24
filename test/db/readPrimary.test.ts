/**
 * Reads that must see the latest write ask the primary, whatever `readPreference` MONGODB_URI
 * sets (a secondary may lag: a revoked key accepted, a fresh link refused): the key check's read
 * of a key, the key cache's poll for changed keys, the link checks, and the `first` lock's
 * re-read. On a standalone or the emulator every read goes to the one server anyway, so this
 * looks at what the product asks the driver for: each find's read preference.
 */
import mongoose from 'mongoose';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { testDatabaseUri } from '../support/database.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, post, register } from '../webhooks/support.js';

interface Read {
  collection: string;
  filter: Record<string, unknown>;
  projection: string[];
  readPreference: string | undefined;
}

type Find = (
  this: { collectionName: string },
  filter?: Record<string, unknown>,
  options?: { readPreference?: unknown; projection?: Record<string, unknown> },
) => unknown;
const Collection = mongoose.mongo.Collection as unknown as { prototype: { find: Find } };
const find = Collection.prototype.find;
const reads: Read[] = [];

const clock = testClock(new Date());
let app: TestApp;
beforeAll(async () => {
  const uri = testDatabaseUri('read_primary');
  app = await startTestApp({ clock: clock.now, mongodbUri: `${uri}${uri.includes('?') ? '&' : '?'}readPreference=secondaryPreferred` });
});
afterEach(() => {
  Collection.prototype.find = find;
});
afterAll(async () => {
  await app?.close();
});

/** Records the read preference of every find the driver is asked for while `work` runs. */
async function readsOf(work: () => Promise<unknown>): Promise<Read[]> {
  reads.length = 0;
  Collection.prototype.find = function (filter = {}, options = {}) {
    const preference = options.readPreference as string | { mode?: string } | undefined;
    reads.push({
      collection: this.collectionName,
      filter,
      projection: Object.keys(options.projection ?? {}),
      readPreference: typeof preference === 'string' ? preference : preference?.mode,
    });
    return find.call(this, filter, options);
  };
  await work();
  Collection.prototype.find = find;
  return [...reads];
}

it('asks the primary for the key check, the link checks, the key cache’s poll and the first-lock re-read', async () => {
  const key = await createKey(app, { mode: 'first' });
  const number = newNumber();
  const { keyCheck } = app.context.domain;

  const accepted = await readsOf(async () => {
    await register(app, clock, key, [number]);
    expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
    await keyCheck.claimFirstIp(key.keyId, '198.51.100.99'); // lost: locked to 127.0.0.1, so it re-reads the lock
    await keyCheck.firstUnlinked(key.keyId, [number]); // a first-locked key's request checks its links first
    await new Promise((resolve) => setTimeout(resolve, 700)); // a poll of the key cache
  });
  const asked = (collection: string, field: string, projection: (fields: string[]) => boolean = () => true) =>
    accepted.filter((r) => r.collection === collection && field in r.filter && projection(r.projection));
  const mustSeeTheLatest = {
    'the key check': asked('keys', 'keyId', (fields) => fields.length === 0),
    'the first-lock re-read': asked('keys', 'keyId', (fields) => fields.includes('ipLock')),
    'the key cache poll': asked('keys', 'changedAt'),
    'the link checks': asked('phones', 'number'),
  };
  for (const [what, found] of Object.entries(mustSeeTheLatest)) {
    expect(found.length, `${what}: ${JSON.stringify(accepted)}`).toBeGreaterThanOrEqual(1);
    for (const read of found) expect(read, `${what}: ${JSON.stringify(read)}`).toMatchObject({ readPreference: 'primary' });
  }
  expect(mustSeeTheLatest['the link checks'].length).toBeGreaterThanOrEqual(2); // the batch's, the first lock's

  // Other reads keep MONGODB_URI's preference (so the check above can tell them apart).
  const listed = await readsOf(() => app.context.domain.keys.page({}));
  expect(listed.find((r) => r.collection === 'keys')).toMatchObject({ readPreference: undefined });
});
