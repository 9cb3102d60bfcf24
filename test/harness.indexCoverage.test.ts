/**
 * The end-of-run index check (test/support/indexCoverage.ts) judges what it should: the queries the
 * product really sends, captured here by command monitoring as the recorder captures them, are
 * served by the declared indexes — and stop being served when the index made for them is taken
 * away — and the rule (equality, then sort, then range) refuses the shapes it must.
 */
import mongoose, { type mongo } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createDomain } from '../src/domain/index.js';
import { defineModels, ensureIndexes } from '../src/models/index.js';
import { testDatabaseUri } from './support/database.js';
import { checkCoverage, type DeclaredIndex, declaredIndexes, formatUnserved, judge, type RecordedQuery } from './support/indexCoverage.js';
import { queriesOf } from './support/queryRecorder.js';
import { testClock } from './support/testApp.js';

const indexes = declaredIndexes();
const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-coverage', SLACK_SIGNING_SECRET: 'coverage-secret', ALERT_CHANNEL_ID: 'C0ALERTS' });
const on = (collection: string) => indexes.get(collection)!;
const without = (collection: string, name: string): Map<string, DeclaredIndex[]> =>
  new Map([...indexes].map(([c, list]) => [c, c === collection ? list.filter((i) => i.name !== name) : list]));

describe('the queries the product sends', () => {
  let connection: mongoose.Connection;
  const sent: RecordedQuery[] = [];
  const clock = testClock();

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('coverage'), { monitorCommands: true }).asPromise();
    connection.getClient().on('commandStarted', (event: mongo.CommandStartedEvent) => {
      for (const query of queriesOf(event.commandName, event.command)) sent.push({ ...query, location: 'this test' });
    });
    await ensureIndexes(defineModels(connection));
  });
  afterAll(async () => {
    await connection?.dropDatabase();
    await connection?.close();
  });

  /** The queries `work` sends to `collection`. */
  async function queriesOfWork(collection: string, work: () => Promise<unknown>): Promise<RecordedQuery[]> {
    sent.length = 0;
    await work();
    return sent.filter((q) => q.collection === collection && q.command !== 'insert');
  }

  it('serves the Slack outbox claim by {state, nextAttemptAt, _id}, and no longer without it', async () => {
    const { outbox } = createDomain(defineModels(connection), config, clock.now);
    const [claim] = await queriesOfWork('slack_outbox', () => outbox.claimNext());
    expect(claim).toMatchObject({ command: 'findAndModify', sort: { nextAttemptAt: 1, _id: 1 } });
    expect(checkCoverage([claim!], indexes).unserved).toEqual([]);

    const removed = without('slack_outbox', 'state_1_nextAttemptAt_1__id_1');
    const report = checkCoverage([claim!], removed);
    expect(report.unserved).toHaveLength(1);
    const message = formatUnserved(report, removed);
    expect(message).toContain('slack_outbox.findAndModify');
    expect(message).toContain(
      'no declared index starts with the equality fields state (any order), then the sort nextAttemptAt: 1, _id: 1',
    );
    expect(message).toContain('sent from this test');
  });

  it('serves the silent-phone check through its hinted partial index, and the metrics count in one pass', async () => {
    const domain = createDomain(defineModels(connection), config, clock.now);
    const due = await queriesOfWork('phones', () => domain.monitor.dueQuery().exec());
    expect(due).toHaveLength(1);
    expect(judge(due[0]!, on('phones'))).toEqual({ served: true, by: 'state_1_environment_1_alertId_1_lastHeartbeatAt_1_pausedUntil_1' });

    const counts = await queriesOfWork('phones', () => domain.phones.countByStatus());
    expect(counts).toHaveLength(1);
    expect(counts[0]).toMatchObject({ command: 'aggregate' });
    expect(judge(counts[0]!, on('phones')).served).toBe(true);
    // Without the partial filter in the query the partial index may not be used.
    expect(judge({ ...due[0]!, filter: { ...due[0]!.filter, keyId: { $ne: null } } }, on('phones')).served).toBe(false);
  });
});

describe('the rule', () => {
  const index = (key: Record<string, number>, options: Partial<DeclaredIndex> = {}): DeclaredIndex => ({
    name: Object.entries(key)
      .map(([f, d]) => `${f}_${d}`)
      .join('_'),
    key: Object.entries(key),
    unique: false,
    sparse: false,
    ...options,
  });
  const ab = [index({ _id: 1 }, { unique: true }), index({ a: 1, b: 1 })];

  it('wants the equality fields first, then the sort (either direction), then a range', () => {
    expect(judge({ filter: { a: 1, b: { $gt: 2 } } }, ab).served).toBe(true);
    expect(judge({ filter: { a: 1 }, sort: { b: -1 } }, ab).served).toBe(true);
    expect(judge({ filter: { a: { $in: [1, 2] } }, sort: { b: 1 } }, ab).served).toBe(true);
    expect(judge({ filter: { b: 1 } }, ab)).toMatchObject({ served: false, why: expect.stringContaining('equality fields b') });
    expect(judge({ filter: { a: { $gt: 1 } }, sort: { b: 1 } }, ab).served).toBe(false); // range before sort
    expect(judge({ filter: { a: 1, c: 2 } }, ab).served).toBe(false); // an equality field the index lacks
    expect(judge({ filter: {}, sort: { a: 1, b: -1 } }, ab).served).toBe(false); // mixed directions
    expect(judge({ filter: {} }, ab).served).toBe(false); // the whole collection
    expect(judge({ filter: { _id: 'x', c: 5 } }, ab).served).toBe(true); // pinned by a unique index
  });

  it('judges each branch of an $or, and reads a one-field $or as a range', () => {
    expect(judge({ filter: { a: 1, $or: [{ b: null }, { b: { $lte: 3 } }] } }, ab).served).toBe(true);
    expect(judge({ filter: { $or: [{ a: 1 }, { c: 1 }] } }, ab).served).toBe(false);
    expect(judge({ filter: { $or: [{ a: 1 }, { _id: 3 }] } }, ab).served).toBe(true);
  });

  it('uses a partial index only for queries that repeat its filter, a sparse one never for null, a hint only as given', () => {
    const partial = [index({ a: 1 }, { partial: { k: { $type: 'string' } } })];
    expect(judge({ filter: { a: 1, k: { $type: 'string' } } }, partial).served).toBe(true);
    expect(judge({ filter: { a: 1 } }, partial).served).toBe(false);
    const sparse = [index({ a: 1 }, { sparse: true })];
    expect(judge({ filter: { a: 'x' } }, sparse).served).toBe(true);
    expect(judge({ filter: { a: null } }, sparse).served).toBe(false);
    expect(judge({ filter: { a: 1 }, hint: { b: 1 } }, ab)).toMatchObject({
      served: false,
      why: expect.stringContaining('not a declared index'),
    });
    expect(judge({ filter: {}, hint: { a: 1, b: 1 } }, ab).served).toBe(true); // a deliberate read of the whole index
  });
});
