/**
 * The phone updates the batched ingest writes (src/webhooks/ingestWrites.ts): one update per phone
 * per batch, keeping the failing-send streak and the battery run the phone-health job reads.
 * Pure: the update documents only.
 */
import { describe, expect, it } from 'vitest';
import { type IncomingPhoneEvent, phoneUpdates } from '../../../src/webhooks/ingestWrites.js';

const PHONE = '+2348012345678';
const t = (minute: number) => new Date(Date.UTC(2026, 10, 22, 10, minute));

function event(type: string, minute: number, data: Record<string, unknown> = {}): IncomingPhoneEvent {
  const numbers = type === 'phone.heartbeat' ? { phone_numbers: [PHONE] } : { phone_number: PHONE };
  return {
    keyId: 'abcd2345',
    webhookId: `w${minute}`,
    type,
    phoneNumbers: [PHONE],
    data: { ...numbers, ...data },
    occurredAt: t(minute),
    receivedAt: t(minute),
    ip: '',
  };
}
const failed = (minute: number, reason = 'no credit') => event('message.send.failed', minute, { reason });
const ok = (minute: number) => event('message.phone.delivered', minute);
const beat = (minute: number, battery: number, charging: boolean) => event('phone.heartbeat', minute, { battery, charging });

const update = (events: IncomingPhoneEvent[]) => {
  const ops = phoneUpdates(events, { batteryLowPercent: 15 });
  expect(ops).toHaveLength(1);
  expect(ops[0]!.updateOne.filter).toEqual({ number: PHONE, keyId: 'abcd2345' });
  return ops[0]!.updateOne.update as Record<string, Record<string, unknown>>;
};

describe('the failing-send streak', () => {
  it('failures only: added to the streak already running ($inc, $min, the last three reasons)', () => {
    expect(update([failed(1, 'a'), event('message.send.expired', 2), failed(3, 'b'), failed(4, 'c')])).toEqual({
      $inc: { sendFailures: 4 },
      $min: { firstFailedSendAt: t(1) },
      $push: { recentFailureReasons: { $each: ['expired', 'b', 'c'], $slice: -3 } },
    });
  });

  it('a send that went through ends the streak: only the failures after it count, from the first of them', () => {
    expect(update([failed(1), ok(2), failed(3, 'x'), failed(4, 'y')]).$set).toEqual({
      lastSendOkAt: t(2),
      sendFailures: 2,
      firstFailedSendAt: t(3),
      recentFailureReasons: ['x', 'y'],
    });
    const ended = update([failed(1), event('message.phone.sent', 2)]);
    expect(ended.$set).toEqual({ lastSendOkAt: t(2), sendFailures: 0 });
    expect(ended.$unset).toEqual({ firstFailedSendAt: 1, recentFailureReasons: 1 });
  });

  it('a failure reason is kept short (the phone wrote it; Slack shows it escaped)', () => {
    const reasons = update([failed(1, 'x'.repeat(5000))]).$push!.recentFailureReasons as { $each: string[] };
    expect(reasons.$each[0]).toHaveLength(200);
  });
});

describe('the battery run', () => {
  it('low and not charging: the low run goes on ($min), the ok run ends', () => {
    const low = update([beat(1, 9, false), beat(2, 8, false)]);
    expect(low.$min).toEqual({ batteryLowSince: t(1) });
    expect(low.$unset).toEqual({ batteryOkSince: 1 });
    expect(low.$set).toMatchObject({ battery: 8, charging: false, state: 'up', lastHeartbeatAt: t(2) });
  });

  it('charging, or at the threshold + 10, is ok; in between changes nothing; a run that began in the batch is $set', () => {
    expect(update([beat(1, 9, false), beat(2, 20, false)]).$min).toEqual({ batteryLowSince: t(1) });
    const charged = update([beat(1, 9, false), beat(2, 10, true), beat(3, 11, true)]);
    expect(charged.$set).toMatchObject({ batteryOkSince: t(2) });
    expect(charged.$unset).toEqual({ batteryLowSince: 1 });
    expect(update([beat(1, 25, false)]).$min).toEqual({ batteryOkSince: t(1) });
    expect(update([beat(1, 20, false)]).$min).toBeUndefined();
  });

  it('off (BATTERY_LOW_PERCENT 0): no battery run at all', () => {
    const ops = phoneUpdates([beat(1, 1, false)], { batteryLowPercent: 0 });
    expect(ops[0]!.updateOne.update).toEqual({ $set: expect.objectContaining({ battery: 1 }) });
  });
});

it('events that do not touch a phone (a received SMS) make no update', () => {
  expect(phoneUpdates([event('message.phone.received', 1, { from: '+15550100', content: 'hi' })])).toEqual([]);
});
