/**
 * The silent-phone check on a real mongod, as `npm run bench` measures it: explain('executionStats')
 * of the query the job sends (bench/silentScaling.ts's explainDueQuery) examines the phones due —
 * not the fleet, not the unlinked or paused phones that are silent too. Needs a real mongod
 * (MONGODB_URI, MONGOMS_SYSTEM_BINARY, or mongodb-memory-server's download); the emulator has no
 * explain and uses no index, so there the test says so and skips.
 */
import { expect, inject, it } from 'vitest';
import { explainDueQuery, seedFleet } from '../../bench/silentScaling.js';
import { startTestApp } from '../support/testApp.js';

const MINUTE = 60_000;

it('examines the phones due, not the fleet nor the silent phones that are unlinked or paused (real mongod)', async (test) => {
  const kind = inject('mongoKind');
  if (kind.startsWith('CongoDB')) {
    const reason = `needs a real mongod (MONGODB_URI or MONGOMS_SYSTEM_BINARY); this run's database is the ${kind}, which has no explain`;
    console.log(`[explain] skipped: ${reason}`);
    return test.skip(reason);
  }
  const app = await startTestApp();
  try {
    const due = 40;
    await seedFleet(app.context, 5_000, due);
    // Silent as long as the due ones, but unlinked or paused: never the job's business.
    const now = app.context.clock().getTime();
    const silent = (i: number, extra: object) => ({
      number: `+2347${String(100_000_000 + i)}`,
      keyId: null,
      lastHeartbeatAt: new Date(now - 45 * MINUTE),
      state: 'up',
      alertId: null,
      pausedUntil: null,
      ...extra,
    });
    await app.context.models.Phone.collection.insertMany([
      ...Array.from({ length: 500 }, (_, i) => silent(i, {})),
      ...Array.from({ length: 500 }, (_, i) => silent(500 + i, { keyId: 'pausedkey', pausedUntil: new Date(now + 60 * MINUTE) })),
    ]);

    const { dueQueryDocsExamined, dueQueryKeysExamined } = await explainDueQuery(app.context);
    console.log(
      `[explain] due query on 6,000 phones (${due} due): ${dueQueryDocsExamined} documents, ${dueQueryKeysExamined} index keys examined`,
    );
    expect(dueQueryDocsExamined).toBe(due);
    // the paused ones are passed over on the index's keys; the unlinked ones are not in it at all
    expect(dueQueryKeysExamined).toBeLessThanOrEqual(due + 500 + 1);
  } finally {
    await app.close();
  }
}, 60_000);
