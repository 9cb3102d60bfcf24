import type { AlertKind, Models } from '../models/index.js';
import type { KeyRecord } from './keyDirectory.js';
import { publicIdOf } from './keyMaterial.js';
import { keyNames } from './keyNames.js';
import type { KeyService } from './keys.js';
import type { KeyView } from './keyView.js';
import type { PhoneService, PhoneStatus, PhoneView } from './phones.js';

/** The order a summary lists phones in: trouble first. */
export const TROUBLE_FIRST: readonly PhoneStatus[] = ['silent', 'failing', 'never seen', 'paused', 'online', 'unlinked'];

/** An open alert as a summary lists it. */
export interface OpenAlertView {
  kind: AlertKind;
  phoneNumber: string;
  keyId: string;
  publicId: string;
  /** Null once the key is gone. */
  keyName: string | null;
  since: Date;
  detectedAt: Date;
}

/** The phones of one status a summary shows (`phones`), and how many there are in all (`count`). */
export interface PhoneGroup {
  status: PhoneStatus;
  phones: PhoneView[];
  count: number;
}

export interface Overview {
  /** The newest open alerts, and how many are open in all. */
  openAlerts: { alerts: OpenAlertView[]; count: number };
  /** Keys due for rotation first (newest first), then the newest others; counts of every key not revoked. */
  keys: { shown: KeyView[]; count: number; due: number };
  /** The phones shown, a group per status in TROUBLE_FIRST order; exact counts by status. */
  phones: { groups: PhoneGroup[]; counts: Record<PhoneStatus, number> };
}

/** How many of each list a summary holds at most. */
export interface OverviewLimits {
  alerts: number;
  keys: number;
  phones: number;
}

/**
 * A summary of the fleet of any size (what App Home shows): counts from count queries, and each
 * list a bounded query on its own index, so the troubles are found however many phones there are.
 */
export class FleetOverview {
  constructor(
    private readonly models: Pick<Models, 'Alert' | 'Key' | 'Phone'>,
    private readonly keys: KeyService,
    private readonly phones: PhoneService,
  ) {}

  async read(limits: OverviewLimits): Promise<Overview> {
    const [openAlerts, keys, counts] = await Promise.all([this.openAlerts(limits.alerts), this.keyList(limits.keys), this.phoneCounts()]);
    const plan = planGroups(counts, limits.phones);
    const groups = await Promise.all(
      plan.map(async ({ status, take }) => ({
        status,
        count: counts[status],
        phones: take > 0 ? (await this.phones.page({ filter: { status }, limit: take })).phones : [],
      })),
    );
    return { openAlerts, keys, phones: { groups, counts } };
  }

  /** Unresolved alerts, newest first (the {resolvedAt, detectedAt} index), with their keys' names. */
  private async openAlerts(limit: number): Promise<Overview['openAlerts']> {
    const open = { resolvedAt: null };
    const [records, count] = await Promise.all([
      this.models.Alert.find(open, { kind: 1, phoneNumber: 1, keyId: 1, since: 1, detectedAt: 1 })
        .sort({ detectedAt: -1 })
        .limit(limit)
        .lean(),
      this.models.Alert.countDocuments(open),
    ]);
    const names = await keyNames(
      this.models.Key,
      records.map((a) => a.keyId),
    );
    const alerts = records.map((a) => ({
      kind: a.kind,
      phoneNumber: a.phoneNumber,
      keyId: a.keyId,
      publicId: publicIdOf(a.keyId),
      keyName: names.get(a.keyId) ?? null,
      since: a.since,
      detectedAt: a.detectedAt,
    }));
    return { alerts, count };
  }

  /**
   * Active keys due for rotation, newest first, then the newest keys not revoked without them. The
   * newest `limit + due shown` keys hold at least `limit` others when there are that many.
   */
  private async keyList(limit: number): Promise<Overview['keys']> {
    const [dueRecords, counts] = await Promise.all([
      this.models.Key.find({ status: 'active', rotationDue: true }).sort({ createdAt: -1 }).limit(limit).lean<KeyRecord[]>(),
      this.keys.countByStatus(),
    ]);
    const due = await this.keys.viewsOf(dueRecords);
    const room = limit - due.length;
    const newest = room > 0 ? (await this.keys.page({ limit: Math.min(100, limit + due.length) })).keys : [];
    const dueIds = new Set(due.map((k) => k.keyId));
    const others = newest.filter((k) => !dueIds.has(k.keyId)).slice(0, room);
    return { shown: [...due, ...others], count: counts.active + counts.rotating, due: counts.rotation_due };
  }

  /** Every phone counted by status, linked (live and test) and unlinked. */
  private async phoneCounts(): Promise<Record<PhoneStatus, number>> {
    const [linked, unlinked] = await Promise.all([this.phones.countByStatus(), this.models.Phone.countDocuments({ keyId: null })]);
    const counts = { unlinked } as Record<PhoneStatus, number>;
    for (const status of TROUBLE_FIRST) if (status !== 'unlinked') counts[status] = linked.live[status] + linked.test[status];
    return counts;
  }
}

/**
 * How many phones of each status to read, trouble first, `limit` in all: silent ones leave room
 * for up to half the list of failing ones, so a silent storm does not hide the phones failing to send.
 */
export function planGroups(counts: Record<PhoneStatus, number>, limit: number): { status: PhoneStatus; take: number }[] {
  let left = limit;
  return TROUBLE_FIRST.map((status) => {
    const reserved = status === 'silent' ? Math.min(counts.failing, Math.floor(limit / 2)) : 0;
    const take = Math.max(0, Math.min(counts[status], left - reserved));
    left -= take;
    return { status, take };
  });
}
