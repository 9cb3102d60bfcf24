import { describe, expect, test } from 'vitest';
import { type CountedEvent, HOUR_MS, hourlyTotalsUpdates, reversed } from '../../../src/webhooks/hourlyTotals.js';

const MINUTE = 60_000;
const SILENT = 30 * MINUTE;
const A = '+2348012345678';
const B = '+2348087654321';
const at = (hhmm: string) => new Date(`2026-11-23T${hhmm}:00Z`);
const hour = (hh: string) => new Date(`2026-11-23T${hh}:00:00Z`);
const heartbeat = (time: string, ...numbers: string[]): CountedEvent => ({
  type: 'phone.heartbeat',
  phoneNumbers: numbers.length ? numbers : [A],
  receivedAt: at(time),
});
const event = (type: string, time: string): CountedEvent => ({ type, phoneNumbers: [A], receivedAt: at(time) });

/** The updates as { "number@HH": $inc } for reading. */
function totals(events: CountedEvent[], last: Record<string, Date | null> = {}) {
  const updates = hourlyTotalsUpdates(events, new Map(Object.entries(last)), SILENT);
  for (const u of updates) expect(u.updateOne.upsert).toBe(true);
  return Object.fromEntries(
    updates.map((u) => [
      `${u.updateOne.filter.phoneNumber}@${u.updateOne.filter.hour.toISOString().slice(11, 13)}`,
      u.updateOne.update.$inc,
    ]),
  );
}

describe('hourly totals of a batch', () => {
  test('a first heartbeat covers SILENT_AFTER_MINUTES, split at the hour; the next covers only what the last one did not', () => {
    expect(totals([heartbeat('10:50'), heartbeat('11:05')])).toEqual({
      [`${A}@10`]: { heartbeats: 1, onlineMs: 10 * MINUTE },
      [`${A}@11`]: { heartbeats: 1, onlineMs: 35 * MINUTE }, // 11:00–11:20 from the first, 11:20–11:35 from the second
    });
  });

  test("a heartbeat continues the cover of the phone's last heartbeat before the batch, and a gap is not credited", () => {
    expect(totals([heartbeat('10:10')], { [A]: at('09:55') })).toEqual({ [`${A}@10`]: { heartbeats: 1, onlineMs: 15 * MINUTE } });
    // Last heard at 08:00 (covered until 08:30): 08:30–10:10 is offline, 10:10–10:40 online.
    expect(totals([heartbeat('10:10')], { [A]: at('08:00') })).toEqual({ [`${A}@10`]: { heartbeats: 1, onlineMs: 30 * MINUTE } });
  });

  test('a heartbeat older than the last one (another instance, a skewed clock) adds nothing online', () => {
    expect(totals([heartbeat('10:00')], { [A]: at('10:05') })).toEqual({ [`${A}@10`]: { heartbeats: 1 } });
  });

  test('an hour is never credited more than an hour, however many heartbeats', () => {
    const events = Array.from({ length: 60 }, (_, m) => heartbeat(`10:${String(m).padStart(2, '0')}`));
    const result = totals(events, { [A]: at('09:59') });
    expect(result[`${A}@10`]).toEqual({ heartbeats: 60, onlineMs: HOUR_MS - 29 * MINUTE }); // 09:59 covered until 10:29
    expect(result[`${A}@11`]).toEqual({ onlineMs: 29 * MINUTE });
  });

  test('a dual-SIM heartbeat counts for both numbers, each from its own last heartbeat', () => {
    expect(totals([heartbeat('10:00', A, B)], { [A]: at('09:50'), [B]: null })).toEqual({
      [`${A}@10`]: { heartbeats: 1, onlineMs: 10 * MINUTE }, // 10:00–10:20 came with the 09:50 heartbeat
      [`${B}@10`]: { heartbeats: 1, onlineMs: 30 * MINUTE },
    });
  });

  test('sends and received messages count in the hour they arrived; registrations and missed calls do not count', () => {
    const events = [
      event('message.phone.sent', '10:01'),
      event('message.phone.delivered', '10:02'),
      event('message.send.failed', '10:03'),
      event('message.send.expired', '11:04'),
      event('message.phone.received', '11:05'),
      event('message.call.missed', '11:06'),
      event('phone.registered', '11:07'),
    ];
    expect(totals(events)).toEqual({
      [`${A}@10`]: { sent: 1, delivered: 1, failed: 1 },
      [`${A}@11`]: { expired: 1, received: 1 },
    });
  });

  test('one update per number and hour, whatever the batch holds; reversed() takes it all back', () => {
    const events = [heartbeat('10:00'), event('message.phone.sent', '10:10'), heartbeat('10:20')];
    const updates = hourlyTotalsUpdates(events, new Map(), SILENT);
    expect(updates.map((u) => u.updateOne.filter)).toEqual([{ phoneNumber: A, hour: hour('10') }]);
    expect(reversed(updates)[0]!.updateOne.update.$inc).toEqual({ heartbeats: -2, onlineMs: -50 * MINUTE, sent: -1 });
  });
});
