import { Types } from 'mongoose';
import type { AlertKind, AlertRecord, Models } from '../../models/index.js';
import type { Clock } from '../clock.js';
import { isDuplicateKeyError } from '../errors.js';
import type { IncidentService } from './incidents.js';
import { BATCH, LIVE, MAX_PER_RUN, unpausedAt, watchedKeys } from './watched.js';

/**
 * phone-health (README: Scheduled jobs and alerts), without Slack: phones that keep failing to
 * send, and phones running flat. The webhook receiver keeps the counters on the phone document
 * (src/webhooks/ingestWrites.ts), so this reads only phones in trouble, through an index:
 * - failing: `sendFailures` ≥ FAILING_AFTER_SENDS → one alert per streak (named by its first
 *   failed send); a sent or delivered one after it resolves it;
 * - battery: `batteryLowSince` set → one alert per low run; `batteryLowSince` gone (a charging
 *   heartbeat, or one at the threshold + 10) resolves it.
 *
 * Test keys' phones are not even read (the index leads with the environment after the alert).
 * Each alert is upserted on its unique (kind, phone, since) and then linked to the phone with a
 * conditional update, so racing runs make one; the incident is opened once it is linked. An alert
 * whose phone moved on before it could be linked (the streak ended) is closed unseen.
 */

export interface HealthOptions {
  failingAfterSends: number;
}

const SEND_OK = ['message.phone.sent', 'message.phone.delivered'];
const SEND_FAILED = ['message.send.failed', 'message.send.expired'];

type HealthKind = Extract<AlertKind, 'failing' | 'battery'>;

/** Per kind: the phone's field holding the open alert, and where its episode begins. */
const FIELDS = {
  failing: { alert: 'failingAlertId', since: 'firstFailedSendAt' },
  battery: { alert: 'batteryAlertId', since: 'batteryLowSince' },
} as const;

interface TroubledPhone {
  _id: Types.ObjectId;
  number: string;
  keyId?: string | null;
  sendFailures?: number;
  firstFailedSendAt?: Date;
  recentFailureReasons?: string[];
  lastSendOkAt?: Date;
  batteryLowSince?: Date;
  batteryOkSince?: Date;
  battery?: number | null;
  charging?: boolean | null;
  failingAlertId?: Types.ObjectId | null;
  batteryAlertId?: Types.ObjectId | null;
}

export class HealthMonitor {
  constructor(
    private readonly models: Models,
    private readonly incidents: IncidentService,
    private readonly clock: Clock,
    private readonly options: HealthOptions,
  ) {}

  /** Opens alerts for phones newly failing or low on battery; returns how many. */
  async detect(kind: HealthKind): Promise<number> {
    const now = this.clock();
    const field = FIELDS[kind];
    const inTrouble = kind === 'failing' ? { sendFailures: { $gte: this.options.failingAfterSends } } : { batteryLowSince: { $lte: now } };
    let opened = 0;
    const passed: Types.ObjectId[] = [];
    while (opened + passed.length < MAX_PER_RUN) {
      const phones = await this.models.Phone.find({
        [field.alert]: null,
        ...LIVE,
        ...inTrouble,
        keyId: { $ne: null },
        ...unpausedAt(now),
        _id: { $nin: passed },
      })
        .limit(BATCH)
        .hint({ [field.alert]: 1, environment: 1, [kind === 'failing' ? 'sendFailures' : 'batteryLowSince']: 1 })
        .lean<TroubledPhone[]>();
      const watched = await watchedKeys(
        this.models,
        phones.map((p) => p.keyId),
      );
      for (const phone of phones) {
        const since = phone[field.since];
        if (!watched.has(phone.keyId ?? '') || !since || !(await this.open(kind, phone, since, now))) passed.push(phone._id);
        else opened++;
      }
      if (phones.length < BATCH) break;
    }
    return opened;
  }

  private async open(kind: HealthKind, phone: TroubledPhone, since: Date, now: Date): Promise<boolean> {
    const field = FIELDS[kind];
    const details =
      kind === 'failing'
        ? { failures: phone.sendFailures ?? 0, reasons: phone.recentFailureReasons ?? [] }
        : { battery: phone.battery ?? null, charging: phone.charging ?? null };
    const key = { kind, phoneNumber: phone.number, since };
    let alert: AlertRecord | null;
    try {
      alert = await this.models.Alert.findOneAndUpdate(
        key,
        {
          $setOnInsert: { keyId: phone.keyId ?? 'unlinked', detectedAt: now, incidentId: new Types.ObjectId(), pendingSince: now, details },
        },
        { upsert: true, returnDocument: 'after' },
      ).lean<AlertRecord>();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      alert = await this.models.Alert.findOne(key).lean<AlertRecord>();
    }
    if (!alert || alert.resolvedAt) return false;
    const linked = await this.models.Phone.updateOne(
      { _id: phone._id, [field.alert]: null, [field.since]: since, keyId: phone.keyId },
      { $set: { [field.alert]: alert._id } },
    );
    if (linked.modifiedCount === 0) {
      const now = await this.models.Phone.findById(phone._id, { [field.alert]: 1 }).lean<TroubledPhone>();
      if (!now?.[field.alert]?.equals(alert._id)) {
        // The phone moved on (a send went through, it was charged) before the alert was linked: never shown.
        await this.models.Alert.updateOne(
          { _id: alert._id, resolvedAt: null },
          { $set: { resolvedAt: this.clock(), resolution: 'stale' }, $unset: { pendingSince: 1 } },
        );
        return false;
      }
    }
    await this.incidents.open(alert.incidentId, kind, alert.detectedAt);
    return true;
  }

  /** Finishes alerts linked but not announced (a crash between the writes); returns how many it announced. */
  async finishPending(): Promise<number> {
    const pending = await this.models.Alert.find({ pendingSince: { $lte: this.clock() }, kind: { $in: ['failing', 'battery'] } })
      .limit(BATCH)
      .lean<AlertRecord[]>();
    let opened = 0;
    for (const alert of pending) {
      const field = FIELDS[alert.kind as HealthKind].alert;
      const phone = await this.models.Phone.findOne({ number: alert.phoneNumber }, { [field]: 1 }).lean<TroubledPhone>();
      if (phone?.[field]?.equals(alert._id)) {
        await this.incidents.open(alert.incidentId, alert.kind, alert.detectedAt);
        opened++;
      }
      // Not linked: the next detection links it (same episode, same alert) or closes it unseen.
    }
    return opened;
  }

  /**
   * Resolves open alerts whose trouble is over: a send went through after the streak began
   * (the reply says how long it failed and how many sends were lost), or the battery is charging
   * again. Returns how many.
   */
  async resolve(kind: HealthKind): Promise<number> {
    const field = FIELDS[kind].alert;
    let resolved = 0;
    const passed: Types.ObjectId[] = [];
    for (let seen = 0; seen < MAX_PER_RUN; ) {
      const phones = await this.models.Phone.find({ [field]: { $ne: null }, _id: { $nin: passed } })
        .limit(BATCH)
        .lean<TroubledPhone[]>();
      for (const phone of phones) {
        seen++;
        const alertId = phone[field]!;
        const alert = await this.models.Alert.findById(alertId).lean<AlertRecord>();
        if (alert && !alert.resolvedAt) {
          const over = kind === 'failing' ? await this.failingOver(phone, alert) : this.batteryOver(phone);
          if (!over) {
            passed.push(phone._id);
            continue;
          }
          if ((await this.incidents.resolve(alert, over.at, 'recovered', over.details)).resolvedNow) resolved++;
        }
        await this.models.Phone.updateOne({ _id: phone._id, [field]: alertId }, { $set: { [field]: null } });
      }
      if (phones.length < BATCH) break;
    }
    return resolved;
  }

  private async failingOver(phone: TroubledPhone, alert: AlertRecord): Promise<{ at: Date; details: Record<string, unknown> } | null> {
    if (!phone.lastSendOkAt || phone.lastSendOkAt.getTime() <= alert.since.getTime()) return null;
    const first = await this.models.PhoneEvent.findOne(
      { phoneNumbers: phone.number, receivedAt: { $gt: alert.since }, type: { $in: SEND_OK } },
      { receivedAt: 1 },
    )
      .sort({ receivedAt: 1 })
      .lean();
    const at = first?.receivedAt ?? phone.lastSendOkAt;
    const lost = await this.models.PhoneEvent.countDocuments({
      phoneNumbers: phone.number,
      receivedAt: { $gte: alert.since, $lte: at },
      type: { $in: SEND_FAILED },
    });
    return { at, details: { lost } };
  }

  private batteryOver(phone: TroubledPhone): { at: Date; details: Record<string, unknown> } | null {
    if (phone.batteryLowSince) return null;
    return {
      at: phone.batteryOkSince ?? this.clock(),
      details: { batteryAtEnd: phone.battery ?? null, chargingAtEnd: phone.charging ?? null },
    };
  }
}
