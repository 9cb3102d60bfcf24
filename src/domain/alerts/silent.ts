import { Types } from 'mongoose';
import { type AlertRecord, LINKED, type Models, SILENT_CHECK_INDEX } from '../../models/index.js';
import type { Clock } from '../clock.js';
import { isDuplicateKeyError } from '../errors.js';
import type { IncidentService } from './incidents.js';
import { BATCH, LIVE, MAX_PER_RUN, unpausedAt, watchedKeys } from './watched.js';

/**
 * The silent-phone state machine (README: Scheduled jobs and alerts), without Slack:
 *
 *   new ──heartbeat──▶ up ──silent (this service)──▶ down ──heartbeat──▶ up (alertId still set)
 *                                                            └─ resolveRecovered() closes the alert, clears alertId
 *
 * Heartbeats (the webhook receiver) only ever `$set` lastHeartbeatAt and state 'up'; every other
 * transition is here, each one conditional update with the expected current state in its filter.
 *
 * Exactly one alert per outage. The up → down update is THE decision: it matches only a phone
 * that is still `up`, unalerted and silent since exactly the heartbeat we read, and it writes
 * `state: 'down'` together with the alert's id, so of any number of racing runs exactly one wins
 * and it alone writes the alert (upserted on its unique (kind, phone, since), so even a repeated
 * write cannot make a second one). A crash between the two writes leaves `alertPendingSince` on
 * the phone, which the next run finishes.
 *
 * A phone silent again within SILENT_REOPEN_MINUTES of its recovery reopens its last alert (the
 * same decision picks that alert's id). At least ALERT_GROUP_MIN new alerts in one run share one
 * incident: one message in Slack.
 */

export interface MonitorOptions {
  silentAfterMs: number;
  /** 0: never reopen. */
  silentReopenMs: number;
  groupMin: number;
}

export interface DetectResult {
  /** Alerts created by this run. */
  created: AlertRecord[];
  /** Alerts reopened by this run. */
  reopened: number;
}

interface DownPhone {
  _id: Types.ObjectId;
  number: string;
  keyId?: string | null;
  downSince: Date;
  alertId: Types.ObjectId;
  alertPendingSince?: Date;
}

export class PhoneMonitor {
  constructor(
    private readonly models: Models,
    private readonly incidents: IncidentService,
    private readonly clock: Clock,
    private readonly options: MonitorOptions,
  ) {}

  /** A heartbeat before this instant is too old: the phone is silent. */
  silentBefore(now = this.clock()): Date {
    return new Date(now.getTime() - this.options.silentAfterMs);
  }

  /**
   * The next batch of live phones due to turn silent (also what `npm run bench` explains): linked,
   * up, unalerted, unpaused, heard from last before SILENT_AFTER_MINUTES ago, oldest first. Through
   * the partial SILENT_CHECK_INDEX it reads only such phones: unlinked ones are not in the index,
   * test phones are another range of it, and paused ones are passed over on its keys.
   */
  dueQuery(now = this.clock(), passed: Types.ObjectId[] = []) {
    return this.models.Phone.find(
      {
        state: 'up',
        ...LIVE,
        alertId: null,
        lastHeartbeatAt: { $lt: this.silentBefore(now) },
        ...LINKED,
        ...unpausedAt(now),
        _id: { $nin: passed },
      },
      { number: 1, keyId: 1, lastHeartbeatAt: 1, lastAlertId: 1, lastRecoveredAt: 1 },
    )
      .sort({ lastHeartbeatAt: 1 })
      .limit(BATCH)
      .hint(SILENT_CHECK_INDEX);
  }

  /**
   * up → down for every linked, unpaused live phone silent for longer than SILENT_AFTER_MINUTES,
   * oldest first (dueQuery): the cost grows with the phones due, not with the fleet. Phones nobody
   * is to be paged about (a test key's, a revoked key's) turn silent without an alert.
   */
  async detectSilent(): Promise<DetectResult> {
    const now = this.clock();
    const bound = this.silentBefore(now);
    await this.markSilentTestPhones(bound);
    const down: DownPhone[] = [];
    let reopened = 0;
    // Phones we saw but could not transition (changed under us): not asked for again this run.
    const passed: Types.ObjectId[] = [];
    while (down.length + reopened + passed.length < MAX_PER_RUN) {
      const due = await this.dueQuery(now, passed).lean();
      const watched = await watchedKeys(
        this.models,
        due.map((p) => p.keyId),
      );
      for (const phone of due) {
        const unchanged = {
          _id: phone._id,
          state: 'up' as const,
          lastHeartbeatAt: { $eq: phone.lastHeartbeatAt, $lt: bound },
          keyId: phone.keyId,
        };
        if (!watched.has(phone.keyId ?? '')) {
          await this.models.Phone.updateOne({ ...unchanged, alertId: null }, { $set: { state: 'down', downSince: phone.lastHeartbeatAt } });
          passed.push(phone._id);
          continue;
        }
        const reopen = this.reopens(phone);
        const transition = await this.models.Phone.findOneAndUpdate(
          { ...unchanged, alertId: null, lastAlertId: phone.lastAlertId ?? null, ...unpausedAt(now) },
          {
            $set: {
              state: 'down',
              downSince: phone.lastHeartbeatAt,
              alertId: reopen ? phone.lastAlertId : new Types.ObjectId(),
              alertPendingSince: now,
            },
          },
          { returnDocument: 'after', projection: { number: 1, keyId: 1, downSince: 1, alertId: 1 } },
        ).lean<DownPhone>();
        if (!transition) passed.push(phone._id);
        else if (reopen && (await this.reopenAlert(transition))) reopened++;
        else down.push(transition);
      }
      if (due.length < BATCH) break;
    }
    return { created: await this.alertFor(down, now), reopened };
  }

  /**
   * A silent test phone is shown as silent, but never pages anyone: up → down with no alert
   * (its next heartbeat turns it up again; with no alert there is nothing to resolve).
   */
  private async markSilentTestPhones(bound: Date): Promise<void> {
    await this.models.Phone.updateMany(
      { state: 'up', environment: 'test', alertId: null, lastHeartbeatAt: { $lt: bound }, ...LINKED },
      { $set: { state: 'down' } },
    );
  }

  /** Silent again soon after it recovered: its last alert opens again instead of a new one. */
  private reopens(phone: { lastHeartbeatAt?: Date | null; lastAlertId?: Types.ObjectId | null; lastRecoveredAt?: Date | null }): boolean {
    if (this.options.silentReopenMs <= 0 || !phone.lastAlertId || !phone.lastRecoveredAt || !phone.lastHeartbeatAt) return false;
    return phone.lastHeartbeatAt.getTime() - phone.lastRecoveredAt.getTime() <= this.options.silentReopenMs;
  }

  /** Reopens the alert the transition picked; false if it is gone (then it is written anew). */
  private async reopenAlert(phone: DownPhone): Promise<boolean> {
    const alert = await this.models.Alert.findById(phone.alertId).lean<AlertRecord>();
    if (!alert) return false;
    await this.incidents.reopen(alert, phone.downSince);
    await this.models.Phone.updateOne({ _id: phone._id, alertId: alert._id }, { $unset: { alertPendingSince: 1 } });
    return true;
  }

  /** Writes the alerts of this run's transitions (sharing one incident when they are many), opens their incidents, clears the markers. */
  private async alertFor(down: DownPhone[], now: Date): Promise<AlertRecord[]> {
    const group = down.length >= this.options.groupMin ? new Types.ObjectId() : null;
    const alerts: AlertRecord[] = [];
    for (const phone of down) alerts.push(await this.writeAlert(phone, group ?? new Types.ObjectId(), now));
    const incidents = new Set(alerts.map((a) => String(a.incidentId)));
    for (const id of incidents) await this.incidents.open(new Types.ObjectId(id), 'silent', now);
    for (const [i, phone] of down.entries()) {
      await this.models.Phone.updateOne({ _id: phone._id, alertId: alerts[i]!._id }, { $unset: { alertPendingSince: 1 } });
    }
    return alerts;
  }

  /**
   * Finishes transitions whose alert or incident was not written (the job died between the
   * writes). Cheap: the sparse index holds only such phones.
   */
  async finishPendingAlerts(): Promise<number> {
    const now = this.clock();
    const pending = await this.models.Phone.find(
      { alertPendingSince: { $lte: now } },
      { number: 1, keyId: 1, downSince: 1, alertId: 1, alertPendingSince: 1 },
    )
      .limit(BATCH)
      .lean<DownPhone[]>();
    let finished = 0;
    for (const phone of pending) {
      const existing = phone.alertId ? await this.models.Alert.findById(phone.alertId).lean<AlertRecord>() : null;
      if (phone.alertId && phone.downSince) {
        if (!existing) {
          const alert = await this.writeAlert(phone, new Types.ObjectId(), phone.alertPendingSince ?? now);
          await this.incidents.open(alert.incidentId, 'silent', alert.detectedAt);
        } else if (existing.resolvedAt) await this.incidents.reopen(existing, phone.downSince);
        else await this.incidents.open(existing.incidentId, 'silent', existing.detectedAt);
        finished++;
      }
      await this.models.Phone.updateOne(
        { _id: phone._id, alertPendingSince: phone.alertPendingSince },
        { $unset: { alertPendingSince: 1 } },
      );
    }
    return finished;
  }

  /**
   * Phones a heartbeat brought back (`up` with an alert still linked): resolves the alert with
   * the time of the first heartbeat after the silence, then unlinks it from the phone (remembered
   * for a reopening). Returns how many this call resolved.
   */
  async resolveRecovered(): Promise<number> {
    let resolved = 0;
    const passed: Types.ObjectId[] = [];
    for (let seen = 0; seen < MAX_PER_RUN; ) {
      const phones = await this.models.Phone.find(
        { alertId: { $ne: null }, state: 'up', _id: { $nin: passed } },
        { number: 1, alertId: 1, lastHeartbeatAt: 1 },
      )
        .limit(BATCH)
        .lean();
      for (const phone of phones) {
        seen++;
        let alert = await this.models.Alert.findById(phone.alertId).lean<AlertRecord>();
        if (alert && !alert.resolvedAt) {
          const since = alert.lastSilentSince ?? alert.since;
          const recoveredAt = (await this.firstHeartbeatAfter(phone.number, since)) ?? phone.lastHeartbeatAt ?? this.clock();
          const result = await this.incidents.resolve(alert, recoveredAt, 'recovered');
          alert = result.alert;
          if (result.resolvedNow) resolved++;
        }
        const recovered = alert?.resolution === 'recovered';
        const cleared = await this.models.Phone.updateOne(
          { _id: phone._id, alertId: phone.alertId, state: 'up' },
          {
            $set: {
              alertId: null,
              downSince: null,
              lastAlertId: recovered ? alert!._id : null,
              lastRecoveredAt: recovered ? alert!.resolvedAt : null,
            },
          },
        );
        if (cleared.modifiedCount === 0) passed.push(phone._id);
      }
      if (phones.length < BATCH) break;
    }
    return resolved;
  }

  /** When the phone's first heartbeat after `since` arrived (server time), if it is on record. */
  private async firstHeartbeatAfter(phoneNumber: string, since: Date): Promise<Date | null> {
    const event = await this.models.PhoneEvent.findOne(
      { phoneNumbers: phoneNumber, receivedAt: { $gt: since }, type: 'phone.heartbeat' },
      { receivedAt: 1 },
    )
      .sort({ receivedAt: 1 })
      .lean();
    return event?.receivedAt ?? null;
  }

  /**
   * Writes the alert of a transition, idempotently: upsert on the unique (kind, phone, since)
   * with the `_id` the transition chose. An alert for this very outage that existed already is
   * linked to the phone instead.
   */
  private async writeAlert(phone: DownPhone, incidentId: Types.ObjectId, detectedAt: Date): Promise<AlertRecord> {
    const key = { kind: 'silent' as const, phoneNumber: phone.number, since: phone.downSince };
    const upsert = () =>
      this.models.Alert.findOneAndUpdate(
        key,
        {
          $setOnInsert: {
            _id: phone.alertId,
            keyId: phone.keyId ?? 'unlinked',
            detectedAt,
            incidentId,
            pendingSince: detectedAt,
            lastSilentSince: phone.downSince,
          },
        },
        { upsert: true, returnDocument: 'after' },
      ).lean<AlertRecord>();
    let alert: AlertRecord | null;
    try {
      alert = await upsert();
    } catch (error) {
      // Two upserts of one new key at once: the loser gets E11000; the alert now exists.
      if (!isDuplicateKeyError(error)) throw error;
      alert = await this.models.Alert.findOne(key).lean<AlertRecord>();
    }
    if (!alert) throw new Error(`silent alert for ${phone.number} could not be written`);
    if (!alert._id.equals(phone.alertId)) {
      await this.models.Phone.updateOne({ _id: phone._id, alertId: phone.alertId }, { $set: { alertId: alert._id } });
      phone.alertId = alert._id;
    }
    return alert;
  }
}
