/**
 * The key side of the check: revoked and expired keys, IP locks (from a second loopback
 * source address, not a forged header), revocation across instances within 1 s, and the
 * key cache (no key lookup per heartbeat once warm; bypassed when polls fail).
 */
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModels } from '../../src/models/index.js';
import { KeyCache } from '../../src/webhooks/keyCache.js';
import { testDatabaseUri } from '../support/database.js';
import { randomPhoneKey } from '../support/phoneRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, heartbeatEvent, newNumber, phoneEvent, post, register, stateOf } from './support.js';

const clock = testClock('2026-11-22T10:00:00Z');
const encryptionKey = randomBytes(32).toString('base64');
const databaseUri = testDatabaseUri('webhook_keys');
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, mongodbUri: databaseUri, env: { KEY_ENCRYPTION_KEY: encryptionKey } });
});
afterAll(async () => {
  await app?.close();
});

/** A second instance on the same database (and Slack), as when scaled out. */
const startOtherInstance = () =>
  startTestApp({ clock: clock.now, mongodbUri: databaseUri, env: { KEY_ENCRYPTION_KEY: encryptionKey }, fake: app.fake });

/** Counts the app's key lookups (findOne on keys) while `work` runs. */
async function keyLookupsDuring(target: TestApp, work: () => Promise<void>): Promise<number> {
  let lookups = 0;
  target.context.database.connection.set('debug', (collection: string, method: string) => {
    if (collection === 'keys' && method === 'findOne') lookups++;
  });
  try {
    await work();
  } finally {
    target.context.database.connection.set('debug', false);
  }
  return lookups;
}

describe('key status (401)', () => {
  it('a revoked key is refused at once on the instance that revoked it', async () => {
    const key = await createKey(app);
    const number = newNumber();
    await register(app, clock, key, [number]);
    expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202); // cached now
    await app.context.domain.keys.revoke(key.publicId, 'UADMIN');
    const before = await stateOf(app, key, [number]);
    const response = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) });
    expect(response).toMatchObject({ status: 401, body: { error: `key ${key.publicId} is revoked` } });
    expect(await stateOf(app, key, [number])).toEqual(before);
  });

  it('a rotated key works during its grace period and is refused after it', async () => {
    const key = await createKey(app);
    const number = newNumber();
    await register(app, clock, key, [number]);
    const rotated = await app.context.domain.keys.rotate(key.publicId, 'UADMIN');
    expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);

    clock.advance(app.context.config.rotationGraceMs + 60_000);
    const before = await stateOf(app, key, [number]);
    const response = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe(`key ${key.publicId} was rotated and its grace period has ended; use its successor`);
    expect(await stateOf(app, key, [number])).toEqual(before);

    // the successor takes the phone over by registering
    const successor = { key: rotated.key, publicId: rotated.view.publicId, keyId: rotated.view.keyId };
    await register(app, clock, successor, [number]);
    expect((await post(app, clock, { key: successor.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
  });
});

describe('IP lock (403)', () => {
  it('list: a request from an address outside the lock is refused', async () => {
    const key = await createKey(app, { mode: 'list', list: '127.0.0.1' });
    const number = newNumber();
    await register(app, clock, key, [number]);
    const before = await stateOf(app, key, [number]);
    const response = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]), localAddress: '127.0.0.2' });
    expect(response).toMatchObject({ status: 403, body: { error: `IP 127.0.0.2 is not allowed by the IP lock of ${key.publicId}` } });
    expect(await stateOf(app, key, [number])).toEqual(before);
    expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]), localAddress: '127.0.0.1' })).status).toBe(202);
  });

  it('a forged X-Forwarded-For does not get past the lock (TRUST_PROXY unset)', async () => {
    const key = await createKey(app, { mode: 'list', list: '127.0.0.2' });
    const response = await post(app, clock, {
      key: key.key,
      event: phoneEvent('phone.registered', { phone_numbers: [newNumber()] }, clock.now()),
      headers: { 'x-forwarded-for': '127.0.0.2' },
    });
    expect(response.status).toBe(403);
  });

  it('first: the first accepted request locks the key to its IP; a refused one does not', async () => {
    const key = await createKey(app, { mode: 'first' });
    const number = newNumber();
    // a request that is refused (bad body) claims nothing
    const invalid = await post(app, clock, { key: key.key, body: '{', localAddress: '127.0.0.2' });
    expect(invalid.status).toBe(400);
    expect((await app.context.domain.keys.get(key.publicId)).ipLock.firstIp).toBeNull();
    // nor does a heartbeat refused because its number is not linked to the key
    const unlinked = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]), localAddress: '127.0.0.2' });
    expect(unlinked.status).toBe(403);
    expect(unlinked.body.error).toContain('is not linked');
    expect((await app.context.domain.keys.get(key.publicId)).ipLock.firstIp).toBeNull();

    await register(app, clock, key, [number]); // from 127.0.0.1
    expect((await app.context.domain.keys.get(key.publicId)).ipLock).toMatchObject({ mode: 'first', firstIp: '127.0.0.1' });
    const before = await stateOf(app, key, [number]);
    const response = await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]), localAddress: '127.0.0.2' });
    expect(response.status).toBe(403);
    expect(response.body.error).toContain(`key ${key.publicId} is locked to the first IP that used it; 127.0.0.2 is not it`);
    expect(await stateOf(app, key, [number])).toEqual(before);
    expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
  });

  it('first: of two first requests from different IPs at once, exactly one wins', async () => {
    const key = await createKey(app, { mode: 'first' });
    const responses = await Promise.all(
      ['127.0.0.1', '127.0.0.2'].map((localAddress) =>
        post(app, clock, {
          key: key.key,
          event: phoneEvent('phone.registered', { phone_numbers: [newNumber()] }, clock.now()),
          localAddress,
        }),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([202, 403]);
    const winner = ['127.0.0.1', '127.0.0.2'][responses.findIndex((r) => r.status === 202)];
    expect((await app.context.domain.keys.get(key.publicId)).ipLock.firstIp).toBe(winner);
  });
});

describe('the key cache', () => {
  it('a key revoked on another instance is refused here within 1 second', async () => {
    const other = await startOtherInstance();
    try {
      const key = await createKey(app);
      const number = newNumber();
      await register(app, clock, key, [number]);
      expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202); // cached here

      await other.context.domain.keys.revoke(key.publicId, 'UADMIN');
      const revokedAt = performance.now();
      let status = 0;
      while (performance.now() - revokedAt < 3_000) {
        status = (await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status;
        if (status === 401) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(status).toBe(401);
      const latency = performance.now() - revokedAt;
      console.log(`[webhooks] revocation reached the other instance after ${Math.round(latency)} ms`);
      expect(latency).toBeLessThan(1_000);
    } finally {
      await other.close();
    }
  });

  it('a warm cache costs no key lookup per heartbeat', async () => {
    const key = await createKey(app);
    const number = newNumber();
    await register(app, clock, key, [number]);
    expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
    const lookups = await keyLookupsDuring(app, async () => {
      for (let i = 0; i < 20; i++) {
        clock.advance(1_000);
        expect((await post(app, clock, { key: key.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
      }
    });
    expect(lookups).toBe(0);
  });

  it('drops keys that changed (by polling), and reads every key while polls fail', async () => {
    const key = await createKey(app);
    let now = 0;
    // The polls use a connection of their own, so they can be made to fail while key reads still work.
    const pollingModels = defineModels(await mongoose.createConnection(databaseUri, { bufferCommands: false }).asPromise());
    const cache = new KeyCache(app.context.domain.keyCheck, pollingModels.Key, clock.now, app.context.logger, {
      monotonicNow: () => now,
      maxStalenessMs: 1_000,
    });

    await cache.poll();
    expect(await cache.get(key.keyId)).toMatchObject({ keyId: key.keyId, status: 'active', secret: key.key });
    await cache.get(key.keyId);
    expect(cache.stats()).toMatchObject({ loads: 1, hits: 1 });

    // another instance locks the key: the next poll drops it, the next get reads it
    clock.advance(1_000);
    await app.context.models.Key.updateOne(
      { keyId: key.keyId },
      { $set: { 'ipLock.mode': 'list', 'ipLock.entries': ['10.0.0.1'], changedAt: clock.now() } },
    );
    expect(await cache.get(key.keyId)).toMatchObject({ ipLock: { mode: 'off' } }); // not polled yet
    now += 500;
    await cache.poll();
    expect(await cache.get(key.keyId)).toMatchObject({ ipLock: { mode: 'list', entries: ['10.0.0.1'] } });
    expect(cache.stats()).toMatchObject({ loads: 2 });

    // polls fail: within 1 s of the last good poll the cache still answers, then every get reads the key
    await pollingModels.Key.db.close();
    now += 500;
    await cache.poll();
    expect(cache.stats().pollFailures).toBe(1);
    await cache.get(key.keyId);
    expect(cache.stats().loads).toBe(2);
    now += 600; // 1.1 s after the last good poll started
    await cache.get(key.keyId);
    await cache.get(key.keyId);
    expect(cache.stats().loads).toBe(4);
  });

  it('when polls run late, requests for cached keys wait for one poll instead of each reading its key', async () => {
    const keys = [await createKey(app), await createKey(app)];
    let now = 0;
    // A long interval: only the first poll (at start) and the ones the requests ask for happen.
    const cache = new KeyCache(app.context.domain.keyCheck, app.context.models.Key, clock.now, app.context.logger, {
      monotonicNow: () => now,
      maxStalenessMs: 1_000,
      pollIntervalMs: 60_000,
    });
    cache.start();
    try {
      await cache.get(keys[0]!.keyId); // misses: loaded
      await cache.get(keys[1]!.keyId);
      expect(cache.stats()).toMatchObject({ polls: 1, loads: 2 });

      now += 1_100; // the last poll is too old to vouch for the cache
      const snapshots = await Promise.all([...keys, ...keys].map((k) => cache.get(k.keyId)));
      expect(snapshots.map((s) => s?.keyId)).toEqual([...keys, ...keys].map((k) => k.keyId));
      expect(cache.stats()).toMatchObject({ polls: 2, loads: 2, hits: 4 });

      // What that poll finds changed is dropped before the requests use the cache.
      clock.advance(1_000);
      await app.context.domain.keys.revoke(keys[0]!.publicId, 'UADMIN');
      now += 1_100;
      expect(await cache.get(keys[0]!.keyId)).toMatchObject({ status: 'revoked' });
      expect(cache.stats()).toMatchObject({ polls: 3, loads: 3 });
    } finally {
      await cache.stop();
    }
  });

  it('unknown key ids cost at most 10 key reads a second, however many and however random', async () => {
    const key = await createKey(app); // warm: this instance has polled since
    await new Promise((resolve) => setTimeout(resolve, 600));
    const unknownBefore = app.phonekeys.webhooks.stats().keyCache.unknown;
    const started = performance.now();
    const lookups = await keyLookupsDuring(app, async () => {
      for (let round = 0; round < 10; round++) {
        const responses = await Promise.all(
          Array.from({ length: 20 }, () => post(app, clock, { key: randomPhoneKey(), event: heartbeatEvent(clock, [newNumber()]) })),
        );
        for (const response of responses) expect(response.body.error).toMatch(/^unknown key id pk_/);
      }
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(`[webhooks] 200 unknown key ids in ${seconds.toFixed(2)} s cost ${lookups} key reads`);
    expect(lookups).toBeLessThanOrEqual(10 + Math.ceil(10 * seconds));
    expect(app.phonekeys.webhooks.stats().keyCache.unknown - unknownBefore).toBe(200 - lookups);
    // A real key is still read (once) and accepted.
    expect((await register(app, clock, key, [newNumber()])).status).toBe(202);
  });

  it('a key created on this instance is usable at once, one created on another instance within 1 second', async () => {
    const here = await createKey(app);
    expect((await register(app, clock, here, [newNumber()])).status).toBe(202);

    const other = await startOtherInstance();
    try {
      const elsewhere = await createKey(other);
      const createdAt = performance.now();
      const event = phoneEvent('phone.registered', { phone_numbers: [newNumber()] }, clock.now());
      let response = await post(app, clock, { key: elsewhere.key, event });
      while (response.status === 401 && performance.now() - createdAt < 3_000) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        response = await post(app, clock, { key: elsewhere.key, event });
      }
      const latency = performance.now() - createdAt;
      console.log(`[webhooks] a key created on another instance was usable here after ${Math.round(latency)} ms`);
      expect(response.status, JSON.stringify(response.body)).toBe(202);
      expect(latency).toBeLessThan(1_000);
    } finally {
      await other.close();
    }
  });

  it('answers "unknown" from memory only while polls vouch for the list of ids', async () => {
    let now = 0;
    const pollingModels = defineModels(await mongoose.createConnection(databaseUri, { bufferCommands: false }).asPromise());
    const cache = new KeyCache(app.context.domain.keyCheck, pollingModels.Key, clock.now, app.context.logger, {
      monotonicNow: () => now,
      maxStalenessMs: 1_000,
      unknownReadsPerSecond: 0, // the list alone
    });
    expect(await cache.get('zzzzzzzz')).toBeNull(); // no list yet: read
    expect(cache.stats()).toMatchObject({ loads: 1, unknown: 0 });
    await cache.poll();
    expect(cache.stats().knownIds).toBeGreaterThan(0);
    expect(await cache.get('zzzzzzzz')).toBeNull();
    expect(cache.stats()).toMatchObject({ loads: 1, unknown: 1 });
    // A key created after the list was loaded is found by the next poll.
    const key = await createKey(app);
    expect(await cache.get(key.keyId)).toBeNull(); // not polled yet, and this cache is not told of local changes
    now += 500;
    await cache.poll();
    expect(await cache.get(key.keyId)).toMatchObject({ keyId: key.keyId });
    // Polls fail: once the last good one is too old, unknown ids are read again.
    await pollingModels.Key.db.close();
    now += 1_100;
    await cache.poll();
    expect(await cache.get('zzzzzzzz')).toBeNull();
    expect(cache.stats()).toMatchObject({ unknown: 2, loads: 3 });
  });

  it('still reads a few ids outside the list each second, so a key just created elsewhere works before the next poll', async () => {
    let now = 0;
    const cache = new KeyCache(app.context.domain.keyCheck, app.context.models.Key, clock.now, app.context.logger, {
      monotonicNow: () => now,
      unknownReadsPerSecond: 2,
    });
    await cache.poll();
    const key = await createKey(app); // not announced to this cache: only a read can find it
    expect(await cache.get(key.keyId)).toMatchObject({ keyId: key.keyId });
    expect(await cache.get('zzzzzzz2')).toBeNull();
    expect(await cache.get('zzzzzzz3')).toBeNull(); // the budget is spent: from memory
    expect(cache.stats()).toMatchObject({ loads: 2, unknown: 1 });
    expect(await cache.get(key.keyId)).toMatchObject({ keyId: key.keyId }); // found: cached
    now += 500; // one more read
    expect(await cache.get('zzzzzzz4')).toBeNull();
    expect(await cache.get('zzzzzzz5')).toBeNull();
    expect(cache.stats()).toMatchObject({ loads: 3, unknown: 2, hits: 1 });
  });
});
