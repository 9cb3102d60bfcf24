import { Types } from 'mongoose';
import {
  type AlertKind,
  type KeyEnvironment,
  LINKED,
  type Models,
  type PhoneFields,
  type PhoneState,
  SILENT_CHECK_INDEX,
} from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { DomainError } from './errors.js';
import { publicIdOf } from './keyMaterial.js';
import { normalizePhoneNumber } from './phoneNumbers.js';

/** What people see of a phone. `unlinked`: no key (a number unlinked from its key): never online, never counted as linked. */
export const PHONE_STATUSES = ['online', 'silent', 'failing', 'never seen', 'paused', 'unlinked'] as const;
export type PhoneStatus = (typeof PHONE_STATUSES)[number];
/** The statuses of linked phones (what /metrics counts). */
export type LinkedPhoneStatus = Exclude<PhoneStatus, 'unlinked'>;

/** What `/keys phones` can show (README: Using /keys): phones in one status, or those of one key. */
export type PhoneFilter = { status: PhoneStatus } | { keyId: string } | Record<string, never>;

export const DEFAULT_PAUSE_MINUTES = 60;
const FOREVER = new Date(8.64e15);
/** Stands for "some failing alert" where only its presence matters. */
const FAILING = new Types.ObjectId('000000000000000000000000');
export const MAX_PAUSE_MINUTES = 7 * 24 * 60;

export interface PhoneView {
  number: string;
  keyId: string | null;
  publicId: string | null;
  keyName: string | null;
  /** The linked key's environment (null while unlinked): a `test` phone never pages on-call. */
  environment: KeyEnvironment | null;
  status: PhoneStatus;
  lastHeartbeatAt: Date | null;
  charging: boolean | null;
  battery: number | null;
  pausedUntil: Date | null;
  pausedBy: string | null;
  /** While silent: the last heartbeat before the outage. */
  downSince: Date | null;
  /** Alerts open about it (silent, failing, battery). */
  openAlerts: AlertKind[];
  /** Sends in a row that failed or expired (0 after one went through). */
  sendFailures: number;
}

type PhoneRecord = Pick<
  PhoneFields,
  | 'number'
  | 'keyId'
  | 'state'
  | 'lastHeartbeatAt'
  | 'charging'
  | 'battery'
  | 'pausedUntil'
  | 'pausedBy'
  | 'downSince'
  | 'alertId'
  | 'failingAlertId'
  | 'batteryAlertId'
  | 'sendFailures'
>;

/**
 * What people see of the monitor's state: unlinked first (whatever its last state), then a pause in
 * force wins over up/down/new; a failing phone heartbeats but cannot send.
 */
export function phoneStatus(
  phone: Pick<PhoneRecord, 'state' | 'pausedUntil' | 'failingAlertId'> & { keyId?: string | null },
  now: Date,
): PhoneStatus {
  if ('keyId' in phone && !phone.keyId) return 'unlinked';
  return linkedStatus(phone, now);
}

function linkedStatus(phone: Pick<PhoneRecord, 'state' | 'pausedUntil' | 'failingAlertId'>, now: Date): LinkedPhoneStatus {
  if (phone.pausedUntil && phone.pausedUntil.getTime() > now.getTime()) return 'paused';
  if (phone.state === 'down') return 'silent';
  if (phone.failingAlertId) return 'failing';
  if (phone.state === 'up') return 'online';
  return 'never seen';
}

/** The alerts open about a phone, read from its own fields. */
function openAlertsOf(phone: Pick<PhoneRecord, 'alertId' | 'failingAlertId' | 'batteryAlertId'>): AlertKind[] {
  return [
    ...(phone.alertId ? (['silent'] as const) : []),
    ...(phone.failingAlertId ? (['failing'] as const) : []),
    ...(phone.batteryAlertId ? (['battery'] as const) : []),
  ];
}

/** Phones as people see them (status, battery…) and the pause of their silent-phone alerts. */
export class PhoneService {
  constructor(
    private readonly models: Pick<Models, 'Phone' | 'Key'>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /**
   * Linked phones by their key's environment and status, counted by the same rules as
   * `phoneStatus` (for /metrics): one pass over the index of linked phones, which holds the
   * state, environment and pause of each. Phones stored before environments existed are live.
   */
  async countByStatus(): Promise<Record<KeyEnvironment, Record<LinkedPhoneStatus, number>>> {
    const now = this.clock();
    const groups = await this.models.Phone.aggregate<{
      _id: { state: string; paused: boolean; failing: boolean; environment: string };
      n: number;
    }>([
      { $match: LINKED },
      {
        $group: {
          _id: {
            state: '$state',
            paused: { $gt: ['$pausedUntil', now] },
            failing: { $ne: [{ $ifNull: ['$failingAlertId', null] }, null] },
            environment: { $ifNull: ['$environment', 'live'] },
          },
          n: { $sum: 1 },
        },
      },
    ]).hint(SILENT_CHECK_INDEX);
    const zero = (): Record<LinkedPhoneStatus, number> => ({ online: 0, silent: 0, failing: 0, 'never seen': 0, paused: 0 });
    const counts: Record<KeyEnvironment, Record<LinkedPhoneStatus, number>> = { live: zero(), test: zero() };
    for (const { _id, n } of groups) {
      const phone = {
        state: _id.state as PhoneState,
        pausedUntil: _id.paused ? FOREVER : null,
        failingAlertId: _id.failing ? FAILING : null,
      };
      counts[_id.environment === 'test' ? 'test' : 'live'][linkedStatus(phone, now)] += n;
    }
    return counts;
  }

  /**
   * Phones by number, a page at a time, all or those `filter` picks: the cursor is opaque to
   * callers (the last number seen). Each filter is served by an index in number order.
   */
  async page({
    limit = 1000,
    cursor,
    filter = {},
  }: {
    limit?: number;
    cursor?: string;
    filter?: PhoneFilter;
  }): Promise<{ phones: PhoneView[]; nextCursor: string | null }> {
    const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
    if (after !== undefined && !normalizePhoneNumber(after))
      throw new DomainError('invalid', 'cursor is not one this API returned (pass next_cursor as it came).', 'cursor');
    const picked = this.queryOf(filter);
    const query = after === undefined ? picked : { ...picked, number: { $gt: after } };
    const phones = await this.models.Phone.find(query)
      .sort({ number: 1 })
      .limit(limit + 1)
      .lean<PhoneRecord[]>();
    const page = phones.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = phones.length > limit && last ? Buffer.from(last.number, 'utf8').toString('base64url') : null;
    return { phones: await this.views(page), nextCursor };
  }

  /** The query of a filter, in terms the indexes serve in number order. */
  private queryOf(filter: PhoneFilter): Record<string, unknown> {
    if ('keyId' in filter) return { keyId: filter.keyId };
    if (!('status' in filter)) return {};
    const now = this.clock();
    // "Not paused" without $or, so the state and the number order come from one index.
    const linkedUnpaused = { ...LINKED, pausedUntil: { $not: { $gt: now } } };
    switch (filter.status) {
      case 'unlinked':
        return { keyId: null };
      case 'paused':
        return { ...LINKED, pausedUntil: { $gt: now } };
      case 'online':
        return { ...linkedUnpaused, state: 'up', failingAlertId: null };
      case 'failing':
        return { ...linkedUnpaused, state: { $ne: 'down' }, failingAlertId: { $ne: null } };
      case 'silent':
        return { ...linkedUnpaused, state: 'down' };
      case 'never seen':
        return { ...linkedUnpaused, state: 'new', failingAlertId: null };
    }
  }

  /** Pauses a phone's alerts (silent, failing, battery) for `minutes` (default 60, at most 7 days). */
  async pause(rawNumber: string, minutes: number | undefined, actor: string): Promise<PhoneView> {
    const number = parseNumber(rawNumber);
    const length = minutes ?? DEFAULT_PAUSE_MINUTES;
    if (!Number.isFinite(length) || length <= 0 || length > MAX_PAUSE_MINUTES) {
      throw new DomainError('invalid', `Pause for 1 to ${MAX_PAUSE_MINUTES} minutes (7 days); "${minutes}" is not that.`, 'minutes');
    }
    const pausedUntil = new Date(this.clock().getTime() + Math.round(length * 60_000));
    const phone = await this.models.Phone.findOneAndUpdate(
      { number },
      { $set: { pausedUntil, pausedBy: actor } },
      { returnDocument: 'after' },
    ).lean<PhoneRecord>();
    if (!phone) throw unknownPhone(number);
    await this.audit.record({
      actor,
      action: 'phone.paused',
      keyId: phone.keyId ?? null,
      phoneNumber: number,
      details: { minutes: length, until: pausedUntil },
    });
    return (await this.views([phone]))[0]!;
  }

  async resume(rawNumber: string, actor: string): Promise<PhoneView> {
    const number = parseNumber(rawNumber);
    const phone = await this.models.Phone.findOneAndUpdate(
      { number, pausedUntil: { $gt: this.clock() } },
      { $set: { pausedUntil: null, pausedBy: null } },
      { returnDocument: 'after' },
    ).lean<PhoneRecord>();
    if (!phone) {
      if (await this.models.Phone.exists({ number })) throw new DomainError('conflict', `${number} is not paused.`, 'phone_number');
      throw unknownPhone(number);
    }
    await this.audit.record({ actor, action: 'phone.resumed', keyId: phone.keyId ?? null, phoneNumber: number });
    return (await this.views([phone]))[0]!;
  }

  private async views(phones: PhoneRecord[]): Promise<PhoneView[]> {
    const keyIds = [...new Set(phones.map((p) => p.keyId).filter((id): id is string => Boolean(id)))];
    const keys = keyIds.length ? await this.models.Key.find({ keyId: { $in: keyIds } }, { keyId: 1, name: 1, environment: 1 }).lean() : [];
    const byId = new Map(keys.map((k) => [k.keyId, k]));
    const now = this.clock();
    return phones.map((p) => ({
      number: p.number,
      keyId: p.keyId ?? null,
      publicId: p.keyId ? publicIdOf(p.keyId) : null,
      keyName: p.keyId ? (byId.get(p.keyId)?.name ?? null) : null,
      environment: p.keyId ? (byId.get(p.keyId)?.environment ?? 'live') : null,
      status: phoneStatus({ ...p, keyId: p.keyId ?? null }, now),
      lastHeartbeatAt: p.lastHeartbeatAt ?? null,
      charging: p.charging ?? null,
      battery: p.battery ?? null,
      pausedUntil: p.pausedUntil ?? null,
      pausedBy: p.pausedBy ?? null,
      downSince: p.downSince ?? null,
      openAlerts: openAlertsOf(p),
      sendFailures: p.sendFailures ?? 0,
    }));
  }
}

function parseNumber(raw: string): string {
  const number = normalizePhoneNumber(raw);
  if (!number)
    throw new DomainError('invalid', `"${raw.trim()}" is not a phone number in E.164 form (like +2348012345678).`, 'phone_number');
  return number;
}

function unknownPhone(number: string): DomainError {
  return new DomainError('not_found', `No phone ${number} is known (a phone appears once it registers; see /keys phones).`, 'phone_number');
}
