import type { Models } from '../models/index.js';
import type { Clock } from './clock.js';
import { keyNames } from './keyNames.js';

/**
 * The fleet over time (README: Fleet report), read only from the hourly per-phone totals the
 * webhook receiver keeps (`PhoneHour`): each phone's share of time online and its sends over a
 * period. Its cost follows phones × hours, never the number of stored events.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const REPORT_DAYS = 7;
/** Numbers per aggregate: keeps each `$in` (and its reply) small on a large fleet. */
const NUMBERS_PER_QUERY = 500;

export interface Period {
  start: Date;
  end: Date;
}

/** The weekly report's period: the 7 whole UTC days before the day `now` is in (a second run that day: the same period). */
export function reportPeriod(now: Date): Period {
  const end = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return { start: new Date(end - REPORT_DAYS * DAY_MS), end: new Date(end) };
}

/** The last 7 days to the hour (App Home). */
export function lastSevenDays(now: Date): Period {
  const end = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  return { start: new Date(end - REPORT_DAYS * DAY_MS), end: new Date(end) };
}

export interface PhoneTotals {
  heartbeats: number;
  sent: number;
  delivered: number;
  failed: number;
  expired: number;
  received: number;
  /** Time online in the period (each hour counted at most once over). */
  onlineMs: number;
}

export interface PhonePeriod extends PhoneTotals {
  number: string;
  /** The key it is linked to now (bare id), and its name. */
  keyId: string;
  keyName: string | null;
  /** The part of the period the phone was known: from its first link (or the period's start) to the end. */
  spanMs: number;
  /** onlineMs / spanMs, 0–1. */
  onlineShare: number;
}

export interface FleetReport extends Period {
  /** Every live, linked phone that has ever heartbeated, least online first (then most failed sends). */
  phones: PhonePeriod[];
  /** The fleet's online time over the time its phones were known, 0–1 (1 when there are none). */
  onlineShare: number;
  totals: PhoneTotals;
  /** Live linked phones that never sent a heartbeat: left out of the shares. */
  neverSeen: string[];
}

const EMPTY: PhoneTotals = { heartbeats: 0, sent: 0, delivered: 0, failed: 0, expired: 0, received: 0, onlineMs: 0 };
const COUNTERS = ['heartbeats', 'sent', 'delivered', 'failed', 'expired', 'received'] as const;

/** When a phone's time starts to count: its first link (a phone from before that was recorded: always). */
const knownSince = (phone: { firstLinkedAt?: Date | null }): number => phone.firstLinkedAt?.getTime() ?? Number.NEGATIVE_INFINITY;

/** Least online first; among equals, most failed or expired sends first; then by number. */
export function worstFirst(a: PhonePeriod, b: PhonePeriod): number {
  return a.onlineShare - b.onlineShare || b.failed + b.expired - (a.failed + a.expired) || a.number.localeCompare(b.number);
}

export class FleetStats {
  constructor(
    private readonly models: Pick<Models, 'Phone' | 'Key' | 'PhoneHour'>,
    private readonly clock: Clock,
  ) {}

  /** The weekly report of the live fleet for `period` (default: the one the clock is in). */
  async report(period: Period = reportPeriod(this.clock())): Promise<FleetReport> {
    const { Phone, Key } = this.models;
    // Every linked phone (the {keyId} index); test phones are few, and left out here.
    const linked = await Phone.find(
      { keyId: { $type: 'string' } },
      { _id: 0, number: 1, keyId: 1, environment: 1, firstLinkedAt: 1, lastHeartbeatAt: 1 },
    ).lean();
    const live = linked.filter((p) => p.environment !== 'test' && knownSince(p) < period.end.getTime());
    const seen = live.filter((p) => p.lastHeartbeatAt);
    const keyIds = [...new Set(seen.map((p) => p.keyId as string))];
    const [keyName, totals] = await Promise.all([
      keyNames(Key, keyIds),
      this.totals(
        seen.map((p) => p.number),
        period,
      ),
    ]);
    const phones = seen
      .map((p) => {
        const spanMs = period.end.getTime() - Math.max(period.start.getTime(), knownSince(p));
        const own = totals.get(p.number) ?? EMPTY;
        const onlineMs = Math.min(own.onlineMs, spanMs);
        return {
          ...own,
          onlineMs,
          number: p.number,
          keyId: p.keyId as string,
          keyName: keyName.get(p.keyId as string) ?? null,
          spanMs,
          onlineShare: onlineMs / spanMs,
        };
      })
      .sort(worstFirst);
    const sum = { ...EMPTY };
    let spanMs = 0;
    for (const phone of phones) {
      for (const field of [...COUNTERS, 'onlineMs'] as const) sum[field] += phone[field];
      spanMs += phone.spanMs;
    }
    return {
      ...period,
      phones,
      onlineShare: spanMs > 0 ? sum.onlineMs / spanMs : 1,
      totals: sum,
      neverSeen: live
        .filter((p) => !p.lastHeartbeatAt)
        .map((p) => p.number)
        .sort(),
    };
  }

  /**
   * Each number's share of time online over the last 7 days to the hour (App Home), counted from
   * when it was first linked if that is later; null for a number never heard from or unknown.
   */
  async recentOnlineShares(phones: { number: string; lastHeartbeatAt: Date | null }[]): Promise<Map<string, number | null>> {
    const period = lastSevenDays(this.clock());
    const seen = phones.filter((p) => p.lastHeartbeatAt).map((p) => p.number);
    const [created, totals] = await Promise.all([
      seen.length ? this.models.Phone.find({ number: { $in: seen } }, { _id: 0, number: 1, firstLinkedAt: 1 }).lean() : [],
      this.totals(seen, period),
    ]);
    const shares = new Map<string, number | null>(phones.map((p) => [p.number, null]));
    for (const phone of created) {
      const spanMs = period.end.getTime() - Math.max(period.start.getTime(), knownSince(phone));
      if (spanMs <= 0) continue; // first linked within the current hour: nothing to say yet
      shares.set(phone.number, Math.min(totals.get(phone.number)?.onlineMs ?? 0, spanMs) / spanMs);
    }
    return shares;
  }

  /** The numbers' totals over the period's hours (an hour's online time at most an hour). */
  async totals(numbers: string[], { start, end }: Period): Promise<Map<string, PhoneTotals>> {
    const result = new Map<string, PhoneTotals>();
    for (let i = 0; i < numbers.length; i += NUMBERS_PER_QUERY) {
      const rows = await this.models.PhoneHour.aggregate<PhoneTotals & { _id: string }>([
        { $match: { phoneNumber: { $in: numbers.slice(i, i + NUMBERS_PER_QUERY) }, hour: { $gte: start, $lt: end } } },
        {
          $group: {
            _id: '$phoneNumber',
            ...Object.fromEntries(COUNTERS.map((field) => [field, { $sum: { $ifNull: [`$${field}`, 0] } }])),
            // Two instances may credit the same minutes: an hour is never more than an hour online.
            onlineMs: { $sum: { $min: [{ $ifNull: ['$onlineMs', 0] }, HOUR_MS] } },
          },
        },
      ]);
      for (const { _id, ...totals } of rows) result.set(_id, totals);
    }
    return result;
  }
}
