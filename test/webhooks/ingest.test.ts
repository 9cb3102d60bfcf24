/** The batch writer on its own: commands per batch, outcomes within a batch, close() flushing. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type IncomingPhoneEvent, PhoneEventIngest } from '../../src/webhooks/ingest.js';
import { newWebhookId } from '../support/phoneRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createKey, newNumber, type TestKey } from './support.js';

const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;
let key: TestKey;
const numbers = Array.from({ length: 60 }, () => newNumber());

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now });
  key = await createKey(app);
  await app.context.domain.keys.linkPhones(key.keyId, numbers, 'UADMIN');
});
afterAll(async () => {
  await app?.close();
});

const heartbeat = (number: string, extra: Partial<IncomingPhoneEvent> = {}): IncomingPhoneEvent => ({
  keyId: key.keyId,
  webhookId: newWebhookId(),
  type: 'phone.heartbeat',
  phoneNumbers: [number],
  data: { phone_numbers: [number], battery: 50 },
  occurredAt: clock.now(),
  receivedAt: clock.now(),
  ip: '127.0.0.1',
  ...extra,
});

const ingestWith = (options: ConstructorParameters<typeof PhoneEventIngest>[3]) =>
  new PhoneEventIngest(app.context.models, app.context.domain.keys, app.context.logger, options);

it('writes heartbeats arriving together as one batch of five commands, the hourly totals included', async () => {
  const ingest = ingestWith({ flushWindowMs: 5, silentAfterMs: 30 * 60_000 });
  const results = await Promise.all(numbers.map((n) => ingest.record(heartbeat(n))));
  expect(results.every((r) => r.outcome === 'stored')).toBe(true);
  expect(ingest.stats()).toMatchObject({ batches: 1, stored: 60, commands: 5, totalsCommands: 1, totalsFailed: 0 });
  // Each number's first heartbeat: counted in its hour, online for the next 30 minutes.
  const hours = await app.context.models.PhoneHour.find({ phoneNumber: { $in: numbers } }).lean();
  expect(hours).toHaveLength(60);
  expect(hours.every((h) => h.hour.getTime() === clock.now().getTime() && h.heartbeats === 1 && h.onlineMs === 30 * 60_000)).toBe(true);
  expect(ingest.stats().commands / ingest.stats().stored).toBeLessThanOrEqual(0.25);
  const phones = await app.context.models.Phone.find({ number: { $in: numbers } }).lean();
  expect(phones.every((p) => p.state === 'up' && p.battery === 50 && p.lastHeartbeatAt?.getTime() === clock.now().getTime())).toBe(true);
  expect(await app.context.models.Key.findOne({ keyId: key.keyId }).lean()).toMatchObject({ timesUsed: 60, lastUsedAt: clock.now() });
  await ingest.close();
});

it('settles each request of a mixed batch on its own: stored, duplicate, not linked', async () => {
  const ingest = ingestWith({ flushWindowMs: 5 });
  clock.advance(1_000);
  const first = heartbeat(numbers[0]!, { data: { phone_numbers: [numbers[0]], battery: 60 } });
  const later = {
    ...heartbeat(numbers[0]!, { data: { phone_numbers: [numbers[0]], charging: true } }),
    receivedAt: new Date(clock.now().getTime() + 10),
  };
  const stranger = newNumber();
  const results = await Promise.all([
    ingest.record(first),
    ingest.record({ ...first }), // the same webhook-id twice in one batch
    ingest.record(later),
    ingest.record(heartbeat(stranger)),
  ]);
  expect(results).toEqual([
    { outcome: 'stored' },
    { outcome: 'duplicate' },
    { outcome: 'stored' },
    { outcome: 'not_linked', phoneNumber: stranger },
  ]);
  expect(ingest.stats()).toMatchObject({ batches: 1, stored: 2, duplicates: 1, notLinked: 1 });
  // both heartbeats of the phone applied in order: one update
  expect(await app.context.models.Phone.findOne({ number: numbers[0] }).lean()).toMatchObject({
    battery: 60,
    charging: true,
    lastHeartbeatAt: later.receivedAt,
  });
  expect(await app.context.models.Key.findOne({ keyId: key.keyId }).lean()).toMatchObject({ timesUsed: 62, lastUsedAt: later.receivedAt });
  await ingest.close();
});

it('splits at maxBatch', async () => {
  const ingest = ingestWith({ flushWindowMs: 5, maxBatch: 25 });
  const results = await Promise.all(numbers.slice(0, 30).map((n) => ingest.record(heartbeat(n))));
  expect(results.every((r) => r.outcome === 'stored')).toBe(true);
  expect(ingest.stats()).toMatchObject({ batches: 2, stored: 30, commands: 10 });
  await ingest.close();
});

it('under load, waits longer for a batch: events 50 ms apart share one', async () => {
  const ingest = ingestWith({ flushWindowMs: 0, busyFlushWindowMs: 300, busyAbovePerSecond: 5 });
  // Quiet: each event is written on its own.
  await ingest.record(heartbeat(numbers[0]!));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await ingest.record(heartbeat(numbers[1]!));
  expect(ingest.stats()).toMatchObject({ batches: 2, stored: 2 });
  await Promise.all(numbers.slice(2, 5).map((n) => ingest.record(heartbeat(n))));
  // Five events this second: busy. Two more, 50 ms apart, go in one batch.
  const first = ingest.record(heartbeat(numbers[5]!));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const second = ingest.record(heartbeat(numbers[6]!));
  expect((await Promise.all([first, second])).map((r) => r.outcome)).toEqual(['stored', 'stored']);
  expect(ingest.stats()).toMatchObject({ batches: 4, stored: 7 });
  await ingest.close();
});

it('close() writes what is still waiting for its window, then refuses new events', async () => {
  const ingest = ingestWith({ flushWindowMs: 60_000 });
  const pending = numbers.slice(0, 5).map((n) => ingest.record(heartbeat(n)));
  await ingest.close(); // without it these would wait a minute
  expect((await Promise.all(pending)).every((r) => r.outcome === 'stored')).toBe(true);
  expect(ingest.stats()).toMatchObject({ batches: 1, stored: 5 });
  await expect(ingest.record(heartbeat(numbers[0]!))).rejects.toThrow('shutting down');
});
