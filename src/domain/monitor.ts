import { Types } from 'mongoose';
import { LINKED, type Models, SILENT_CHECK_INDEX, type SilentAlertFields } from '../models/index.js';
import type { Clock } from './clock.js';
import { isDuplicateKeyError } from './errors.js';

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
 * `state: 'down'` together with a fresh `alertId`, so of any number of racing runs exactly one
 * wins and it alone writes the alert. The alert is then upserted by its unique
 * (phoneNumber, silentSince) with that `_id`, so even a repeated write cannot make a second one.
 * Doing it the other way round (alert first) leaves orphan alerts whenever a heartbeat lands
 * between the two writes; this way the only gap is a crash between them, which `alertPendingSince`
 * (set by the transition, unset once the alert exists) lets the next run close.
 *
 * Posting is a claim (`claimedUntil`) on the alert, so two instances never post the same alert at
 * once, and a crashed poster's claim simply expires.
 */

export type AlertRecord = SilentAlertFields & { _id: Types.ObjectId };

export interface MonitorOptions {
  silentAfterMs: number;
  /** 0: no reminders. */
  silentRemindMs: number;
}

export interface ClaimedReminder {
  alert: AlertRecord;
  /** lastRemindedAt before this claim, to undo it if the reminder cannot be sent. */
  previous: Date | null;
}

/** How many documents one query returns; runs loop over batches. */
const BATCH = 100;
/** Upper bound per pass and run, so one run stays short; the next run carries on. */
const MAX_PER_RUN = 5000;

const unpausedAt = (now: Date) => ({ $or: [{ pausedUntil: null }, { pausedUntil: { $lte: now } }] });
/** Phones of live keys (and phones stored before environments existed): the only ones that ever page on-call. */
const LIVE = { environment: { $in: ['live' as const, null] } };
const claimableAt = (now: Date) => ({ $or: [{ claimedUntil: null }, { claimedUntil: { $lte: now } }] });

export class PhoneMonitor {
  constructor(
    private readonly models: Models,
    private readonly clock: Clock,
    private readonly options: MonitorOptions,
  ) {}

  get remindersEnabled(): boolean {
    return this.options.silentRemindMs > 0;
  }

  /** A heartbeat before this instant is too old: the phone is silent. */
  silentBefore(now = this.clock()): Date {
    return new Date(now.getTime() - this.options.silentAfterMs);
  }

  // ── transitions ───────────────────────────────────────────────────────

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
      { number: 1, keyId: 1, lastHeartbeatAt: 1 },
    )
      .sort({ lastHeartbeatAt: 1 })
      .limit(BATCH)
      .hint(SILENT_CHECK_INDEX);
  }

  /**
   * up → down for every linked, unpaused live phone silent for longer than SILENT_AFTER_MINUTES,
   * oldest first (dueQuery): the cost grows with the phones due, not with the fleet. Returns the
   * alerts created (still to post). Test phones turn silent without an alert (markSilentTestPhones).
   */
  async detectSilent(channel: string): Promise<AlertRecord[]> {
    const now = this.clock();
    const bound = this.silentBefore(now);
    await this.markSilentTestPhones(bound);
    const created: AlertRecord[] = [];
    // Phones we saw but could not transition (changed under us): not asked for again this run.
    const passed: Types.ObjectId[] = [];
    while (created.length + passed.length < MAX_PER_RUN) {
      const due = await this.dueQuery(now, passed).lean();
      for (const phone of due) {
        const alertId = new Types.ObjectId();
        const down = await this.models.Phone.findOneAndUpdate(
          {
            _id: phone._id,
            state: 'up',
            ...LIVE,
            lastHeartbeatAt: { $eq: phone.lastHeartbeatAt, $lt: bound },
            keyId: phone.keyId,
            alertId: null,
            ...unpausedAt(now),
          },
          { $set: { state: 'down', downSince: phone.lastHeartbeatAt, alertId, alertPendingSince: now } },
          { returnDocument: 'after', projection: { number: 1, keyId: 1, downSince: 1, alertId: 1 } },
        ).lean();
        if (!down) {
          passed.push(phone._id);
          continue;
        }
        created.push(await this.writeAlert(down as PhoneForAlert, channel, now));
      }
      if (due.length < BATCH) break;
    }
    return created;
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

  /**
   * Finishes transitions whose alert write never happened (the job died between the two
   * writes). Cheap: the sparse index holds only such phones.
   */
  async finishPendingAlerts(channel: string): Promise<number> {
    const now = this.clock();
    const pending = await this.models.Phone.find(
      { alertPendingSince: { $lte: now } },
      { number: 1, keyId: 1, downSince: 1, alertId: 1, alertPendingSince: 1 },
    )
      .limit(BATCH)
      .lean();
    let finished = 0;
    for (const phone of pending) {
      if (!phone.alertId || !phone.downSince) {
        await this.models.Phone.updateOne(
          { _id: phone._id, alertPendingSince: phone.alertPendingSince },
          { $unset: { alertPendingSince: 1 } },
        );
        continue;
      }
      await this.writeAlert(phone as PhoneForAlert, channel, phone.alertPendingSince ?? now);
      finished++;
    }
    return finished;
  }

  /**
   * Phones a heartbeat brought back (`up` with an alert still linked): closes the alert with
   * the time of the first heartbeat after the silence, then unlinks it from the phone, which
   * can then go silent again as a new outage. Returns the alerts resolved by this call.
   */
  async resolveRecovered(): Promise<AlertRecord[]> {
    const resolved: AlertRecord[] = [];
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
        const alert = await this.models.SilentAlert.findById(phone.alertId).lean<AlertRecord>();
        if (alert && !alert.resolvedAt) {
          const recoveredAt = (await this.firstHeartbeatAfter(phone.number, alert.silentSince)) ?? phone.lastHeartbeatAt ?? this.clock();
          const closed = await this.models.SilentAlert.findOneAndUpdate(
            { _id: alert._id, resolvedAt: null },
            { $set: { resolvedAt: recoveredAt } },
            { returnDocument: 'after' },
          ).lean<AlertRecord>();
          if (closed) resolved.push(closed);
        }
        const cleared = await this.models.Phone.updateOne(
          { _id: phone._id, alertId: phone.alertId, state: 'up' },
          { $set: { alertId: null, downSince: null } },
        );
        if (cleared.modifiedCount === 0) passed.push(phone._id);
      }
      if (phones.length < BATCH) break;
    }
    return resolved;
  }

  /** When the phone's first heartbeat after `since` arrived (server time), if it is on record. */
  async firstHeartbeatAfter(phoneNumber: string, since: Date): Promise<Date | null> {
    const event = await this.models.PhoneEvent.findOne(
      { phoneNumbers: phoneNumber, receivedAt: { $gt: since }, type: 'phone.heartbeat' },
      { receivedAt: 1 },
    )
      .sort({ receivedAt: 1 })
      .lean();
    return event?.receivedAt ?? null;
  }

  // ── posting: claims ───────────────────────────────────────────────────

  /**
   * Claims the oldest alert not yet posted (never posted, or its last post failed, or its
   * poster's claim expired). `exclude`: alerts already tried in this run.
   */
  async claimNextUnposted(claimMs: number, exclude: Types.ObjectId[] = []): Promise<AlertRecord | null> {
    const now = this.clock();
    return this.models.SilentAlert.findOneAndUpdate(
      { postedAt: null, _id: { $nin: exclude }, ...claimableAt(now) },
      { $set: { claimedUntil: new Date(now.getTime() + claimMs) }, $inc: { postAttempts: 1 } },
      { sort: { detectedAt: 1 }, returnDocument: 'after' },
    ).lean<AlertRecord>();
  }

  async markPosted(alertId: Types.ObjectId, ts: string): Promise<void> {
    await this.models.SilentAlert.updateOne(
      { _id: alertId, postedAt: null },
      { $set: { ts, postedAt: this.clock(), claimedUntil: null, lastError: null } },
    );
  }

  /** Claims the oldest resolved, posted alert whose recovery notice has not gone out. */
  async claimNextRecoveryNotice(claimMs: number, exclude: Types.ObjectId[] = []): Promise<AlertRecord | null> {
    const now = this.clock();
    return this.models.SilentAlert.findOneAndUpdate(
      { resolvedAt: { $ne: null }, recoveryPostedAt: null, postedAt: { $ne: null }, _id: { $nin: exclude }, ...claimableAt(now) },
      { $set: { claimedUntil: new Date(now.getTime() + claimMs) } },
      { sort: { resolvedAt: 1 }, returnDocument: 'after' },
    ).lean<AlertRecord>();
  }

  async markRecoveryPosted(alertId: Types.ObjectId): Promise<void> {
    await this.models.SilentAlert.updateOne(
      { _id: alertId, recoveryPostedAt: null },
      { $set: { recoveryPostedAt: this.clock(), claimedUntil: null, lastError: null } },
    );
  }

  /** Gives a claim back after a failed post, so the next run tries again. */
  async releaseClaim(alertId: Types.ObjectId, error: string): Promise<void> {
    await this.models.SilentAlert.updateOne({ _id: alertId }, { $set: { claimedUntil: null, lastError: error.slice(0, 500) } });
  }

  // ── reminders ─────────────────────────────────────────────────────────

  /**
   * Open, posted alerts whose last reminder (or post) is at least SILENT_REMIND_MINUTES old,
   * each claimed by a conditional update on lastRemindedAt: two runs never both remind.
   * Phones paused or unlinked meanwhile are not reminded about.
   */
  async claimDueReminders(): Promise<ClaimedReminder[]> {
    if (!this.remindersEnabled) return [];
    const now = this.clock();
    const dueBefore = new Date(now.getTime() - this.options.silentRemindMs);
    const candidates = await this.models.SilentAlert.find({
      postedAt: { $ne: null, $lte: dueBefore },
      resolvedAt: null,
      $or: [{ lastRemindedAt: null }, { lastRemindedAt: { $lte: dueBefore } }],
    })
      .sort({ postedAt: 1 })
      .limit(MAX_PER_RUN)
      .lean<AlertRecord[]>();
    if (candidates.length === 0) return [];

    const phones = await this.models.Phone.find(
      { number: { $in: candidates.map((a) => a.phoneNumber) } },
      { number: 1, keyId: 1, pausedUntil: 1, alertId: 1 },
    ).lean();
    const quiet = new Set(
      phones.filter((p) => !p.keyId || (p.pausedUntil && p.pausedUntil.getTime() > now.getTime())).map((p) => p.number),
    );

    const claimed: ClaimedReminder[] = [];
    for (const alert of candidates) {
      if (quiet.has(alert.phoneNumber)) continue;
      const previous = alert.lastRemindedAt ?? null;
      const won = await this.models.SilentAlert.findOneAndUpdate(
        { _id: alert._id, resolvedAt: null, lastRemindedAt: previous },
        { $set: { lastRemindedAt: now }, $inc: { reminders: 1 } },
        { returnDocument: 'after' },
      ).lean<AlertRecord>();
      if (won) claimed.push({ alert: won, previous });
    }
    return claimed;
  }

  /** The reminder could not be sent: put lastRemindedAt back so the next run sends it. */
  async undoReminder(claim: ClaimedReminder): Promise<void> {
    await this.models.SilentAlert.updateOne(
      { _id: claim.alert._id, lastRemindedAt: claim.alert.lastRemindedAt },
      { $set: { lastRemindedAt: claim.previous }, $inc: { reminders: -1 } },
    );
  }

  // ── helpers ───────────────────────────────────────────────────────────

  /**
   * Writes the alert of a transition, idempotently: upsert on the unique (phoneNumber,
   * silentSince) with the `_id` the transition chose. Then clears the pending marker.
   */
  private async writeAlert(phone: PhoneForAlert, channel: string, detectedAt: Date): Promise<AlertRecord> {
    const key = { phoneNumber: phone.number, silentSince: phone.downSince };
    const upsert = () =>
      this.models.SilentAlert.findOneAndUpdate(
        key,
        { $setOnInsert: { _id: phone.alertId, keyId: phone.keyId ?? 'unlinked', detectedAt, channel } },
        { upsert: true, returnDocument: 'after' },
      ).lean<AlertRecord>();
    let alert: AlertRecord | null;
    try {
      alert = await upsert();
    } catch (error) {
      // Two upserts of one new key at once: the loser gets E11000; the alert now exists.
      if (!isDuplicateKeyError(error)) throw error;
      alert = await this.models.SilentAlert.findOne(key).lean<AlertRecord>();
    }
    if (!alert) throw new Error(`silent alert for ${phone.number} could not be written`);
    if (!alert._id.equals(phone.alertId)) {
      // An alert for this very outage already existed: link the phone to it instead.
      await this.models.Phone.updateOne({ _id: phone._id, alertId: phone.alertId }, { $set: { alertId: alert._id } });
    }
    await this.models.Phone.updateOne({ _id: phone._id, alertId: alert._id }, { $unset: { alertPendingSince: 1 } });
    return alert;
  }
}

interface PhoneForAlert {
  _id: Types.ObjectId;
  number: string;
  keyId?: string | null;
  downSince: Date;
  alertId: Types.ObjectId;
}
