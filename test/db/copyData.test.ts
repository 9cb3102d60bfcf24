/**
 * Moving from the embedded default to a real MongoDB: `npm run copy-data -- <uri>` copies what a
 * server kept in DATA_DIR into another database, with its indexes, so the same keys work there;
 * it refuses a target that already holds phonekeys data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, expect, it } from 'vitest';
import { buildContext } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { defineModels } from '../../src/models/index.js';
import { testDatabaseUri } from '../support/database.js';
import { runTs } from '../support/processes.js';
import { newServerSecrets } from '../support/serverProcess.js';
import { ALERT_CHANNEL } from '../support/testApp.js';

const dataDir = mkdtempSync(join(tmpdir(), 'phonekeys-data-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('copies the embedded database into another MongoDB, indexes and all, and will not copy over data', async () => {
  const env = { ...newServerSecrets(), ALERT_CHANNEL_ID: ALERT_CHANNEL, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  // A server's life on the embedded default: a key, two phones, an event.
  const source = await buildContext(loadConfig(env), { logger: createLogger({ level: 'silent' }) });
  const { key, view } = await source.domain.keys.create({ name: 'moving-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });
  await source.domain.keys.linkPhones(view.keyId, ['+2348055500001', '+2348055500002'], `phone:${view.publicId}`);
  await source.database.close();

  const target = testDatabaseUri('copy_target');
  const copy = runTs('src/cli/copyData.ts', [target], env);
  expect(await copy.exited, copy.output()).toBe(0);
  expect(copy.output()).toContain('keys: 1 document');
  expect(copy.output()).toContain('phones: 2 documents');

  const connection = await mongoose.createConnection(target).asPromise();
  try {
    const models = defineModels(connection);
    expect(await models.Phone.countDocuments({ keyId: view.keyId })).toBe(2);
    // The same key works there: same hash, and its ciphertext decrypts with the same KEY_ENCRYPTION_KEY.
    const moved = await buildContext(loadConfig({ ...env, MONGODB_URI: target }), { logger: createLogger({ level: 'silent' }) });
    try {
      expect(await moved.domain.keyCheck.snapshot(view.keyId)).toMatchObject({ keyId: view.keyId, secret: key });
    } finally {
      await moved.database.close();
    }
    const keyIndexes = (await connection.db!.collection('keys').listIndexes().toArray()).map((i) => i.name);
    expect(keyIndexes).toEqual(expect.arrayContaining(['keyId_1', 'hash_1', 'nameLower_1']));
  } finally {
    await connection.close();
  }

  const again = runTs('src/cli/copyData.ts', [target], env);
  expect(await again.exited).toBe(1);
  expect(again.output()).toContain('the target already holds phonekeys data');
}, 90_000);
