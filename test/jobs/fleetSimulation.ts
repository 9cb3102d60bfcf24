import { phoneEvent, postPhoneWebhook } from '../support/phoneRequests.js';
import type { TestApp, TestClock } from '../support/testApp.js';
import { CREATOR, HOUR, MINUTE } from './helpers.js';

/**
 * A week of a 20-phone fleet, played through the real receiver with signed webhooks and an
 * injected clock: each phone heartbeats every hour at 20 past (with SILENT_AFTER_MINUTES=60, so
 * each heartbeat's cover runs into the next hour and a missed heartbeat is an hour offline)
 * except during its planned outages, and sends and receives messages on a fixed schedule. Also a
 * test-environment phone (left out of the report) and a live phone that registers but never
 * heartbeats.
 */

export const FLEET_SIZE = 20;
/** The app's SILENT_AFTER_MINUTES for this fleet. */
export const SILENT_AFTER_MINUTES = 60;
const HEARTBEAT_EVERY = HOUR;
const HEARTBEAT_OFFSET = 20 * MINUTE;
const PHONES_PER_KEY = 5;

/** The report's period: Mon 23 Nov 2026 00:00 UTC to Mon 30 Nov 00:00 (exclusive). */
export const PERIOD = { start: new Date('2026-11-23T00:00:00Z'), end: new Date('2026-11-30T00:00:00Z') };
export const PERIOD_HOURS = 168;
/** When the weekly job runs: Monday 09:00 UTC. */
export const REPORT_AT = new Date(PERIOD.end.getTime() + 9 * HOUR);

export interface SimulatedPhone {
  number: string;
  key: string;
  keyName: string;
  /** Hours from the period's start when it sends no heartbeat: [from, to). */
  outages: [number, number][];
  /** What it sent within the period. */
  expected: { delivered: number; failed: number; expired: number; sent: number; received: number };
  /** When its heartbeats were sent (all of them). */
  heartbeats: Date[];
}

export const numberOf = (i: number): string => `+2348100000${String(i).padStart(3, '0')}`;

/** Phone i is down for i hours (somewhere in the week); 18 twice (3 + 15 h); 19 from hour 128 for good. */
export function outagesOf(i: number): [number, number][] {
  if (i === 0) return [];
  if (i === 18)
    return [
      [5, 8],
      [100, 115],
    ];
  if (i === 19) return [[128, 10_000]];
  const from = (i * 13) % (PERIOD_HOURS - i);
  return [[from, from + i]];
}

export const outageHours = (outages: [number, number][]): number =>
  outages.reduce((sum, [from, to]) => sum + Math.min(to, PERIOD_HOURS) - Math.max(from, 0), 0);

/**
 * The oracle: the time within [start, end) at most `silentAfterMs` after some heartbeat, by
 * walking the heartbeats (independently of the receiver's hour-by-hour crediting).
 */
export function coveredMs(heartbeats: Date[], silentAfterMs: number, { start, end }: { start: Date; end: Date }): number {
  let total = 0;
  let coveredUntil = Number.NEGATIVE_INFINITY;
  for (const at of heartbeats.map((d) => d.getTime()).sort((a, b) => a - b)) {
    const from = Math.max(at, coveredUntil, start.getTime());
    const to = Math.min(at + silentAfterMs, end.getTime());
    if (to > from) total += to - from;
    coveredUntil = Math.max(coveredUntil, at + silentAfterMs);
  }
  return total;
}

const isDown = (outages: [number, number][], hour: number) => outages.some(([from, to]) => hour >= from && hour < to);

/** The messages phone i sends at a whole hour h of the week (when it is up). */
function messagesAt(i: number, h: number): string[] {
  const types: string[] = [];
  if ((h + i) % 24 === 0) types.push('message.phone.sent', 'message.phone.delivered');
  if ((h * 7 + i) % 97 === 0) types.push('message.phone.sent', 'message.send.failed');
  if ((h + 3 * i) % 131 === 0) types.push('message.phone.sent', 'message.send.expired');
  if ((h + i) % 48 === 5) types.push('message.phone.received');
  return types;
}

function dataOf(type: string, number: string, seq: number): Record<string, unknown> {
  const id = `m-${number.slice(-3)}-${seq}`;
  switch (type) {
    case 'phone.registered':
      return { phone_numbers: [number] };
    case 'phone.heartbeat':
      return { phone_numbers: [number], charging: true, battery: 90 };
    case 'message.phone.received':
      return { phone_number: number, from: '+15550100', content: 'hello' };
    case 'message.send.failed':
      return { phone_number: number, message_id: id, reason: 'no credit' };
    default:
      return { phone_number: number, message_id: id, to: '+15550100' };
  }
}

export interface SimulatedFleet {
  phones: SimulatedPhone[];
  testPhone: string;
  neverSeen: string;
  requests: number;
}

/** Plays the week; returns what each phone did. The clock ends at the period's end + 1 h. */
export async function simulateFleet(app: TestApp, clock: TestClock): Promise<SimulatedFleet> {
  const { keys } = app.context.domain;
  const keyList: { key: string; name: string }[] = [];
  for (let k = 0; k < FLEET_SIZE / PHONES_PER_KEY; k++) {
    const name = `lagos-rack-${k + 1}`;
    const { key } = await keys.create({ name, ipLock: { mode: 'off' }, actor: CREATOR });
    keyList.push({ key, name });
  }
  const { key: testKey } = await keys.create({ name: 'bench-test', ipLock: { mode: 'off' }, environment: 'test', actor: CREATOR });

  const phones: SimulatedPhone[] = Array.from({ length: FLEET_SIZE }, (_, i) => {
    const { key, name } = keyList[Math.floor(i / PHONES_PER_KEY)]!;
    return {
      number: numberOf(i),
      key,
      keyName: name,
      outages: outagesOf(i),
      expected: { delivered: 0, failed: 0, expired: 0, sent: 0, received: 0 },
      heartbeats: [],
    };
  });
  const testPhone = numberOf(900);
  const neverSeen = numberOf(901);
  let requests = 0;
  let seq = 0;

  const send = async (key: string, type: string, number: string) => {
    requests++;
    const event = phoneEvent(type, dataOf(type, number, ++seq), clock.now());
    const response = await postPhoneWebhook(app.baseUrl, { key, event, timestamp: clock.now() });
    if (response.status !== 202) throw new Error(`${type} for ${number}: ${response.status} ${response.text}`);
  };

  const firstKey = keyList[0]!.key;
  clock.set(new Date(PERIOD.start.getTime() - HOUR));
  await Promise.all([
    ...phones.map((p) => send(p.key, 'phone.registered', p.number)),
    send(testKey, 'phone.registered', testPhone),
    send(firstKey, 'phone.registered', neverSeen),
  ]);

  const stop = PERIOD.end.getTime() + HOUR;
  for (let at = PERIOD.start.getTime() - HOUR + HEARTBEAT_OFFSET; at <= stop; at += HEARTBEAT_EVERY) {
    clock.set(new Date(at));
    const hour = Math.floor((at - PERIOD.start.getTime()) / HOUR);
    const inPeriod = hour >= 0 && hour < PERIOD_HOURS;
    const sends: Promise<void>[] = [];
    phones.forEach((phone, i) => {
      if (isDown(phone.outages, hour)) return;
      sends.push(send(phone.key, 'phone.heartbeat', phone.number));
      phone.heartbeats.push(clock.now());
      for (const type of messagesAt(i, hour)) {
        sends.push(send(phone.key, type, phone.number));
        if (!inPeriod) continue;
        const counted = { 'message.phone.sent': 'sent', 'message.phone.delivered': 'delivered' } as Record<string, string>;
        const field = (counted[type] ?? type.split('.').pop()) as keyof SimulatedPhone['expected'];
        phone.expected[field]++;
      }
    });
    // The test phone is down for its first two days: that must not show anywhere.
    if (hour >= 48) sends.push(send(testKey, 'phone.heartbeat', testPhone));
    await Promise.all(sends);
  }
  return { phones, testPhone, neverSeen, requests };
}
