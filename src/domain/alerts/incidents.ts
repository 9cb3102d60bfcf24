import { Types } from 'mongoose';
import type { AlertClosure, AlertKind, AlertRecord, IncidentRecord, Models } from '../../models/index.js';
import type { AuditLog } from '../audit.js';
import type { Clock } from '../clock.js';
import { DomainError, isDuplicateKeyError } from '../errors.js';
import type { Outbox } from '../outbox.js';
import { type IncidentReplyType, incidentMessageRef, incidentReplyRef } from '../outboxRefs.js';
import type { PhoneService } from '../phones.js';

/**
 * Incidents (README: Scheduled jobs and alerts): what one alert message in Slack shows — one
 * alert, or a group of them — and what on-call acknowledges, pauses and is reminded about.
 *
 * Every change is one conditional update that bumps `version`; the incident's message in the
 * outbox is then wanted at that version, so Slack ends up showing the latest state however the
 * changes and deliveries interleave. Thread replies are owed in the outbox before the change
 * they announce (idempotently, by episode), so a crash in between loses nothing; each reply
 * checks at send time that what it announces is what happened.
 */

/** How long Pause 1 h pauses. */
const PAUSE_BUTTON_MINUTES = 60;

export interface IncidentOptions {
  /** SILENT_REMIND_MINUTES in ms; 0: no reminders. */
  remindMs: number;
}

export interface IncidentView {
  incident: IncidentRecord;
  /** Its alerts, oldest first. */
  alerts: AlertRecord[];
}

export class IncidentService {
  constructor(
    private readonly models: Models,
    private readonly outbox: Outbox,
    private readonly phones: PhoneService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly options: IncidentOptions,
  ) {}

  // ── opening and changing ──────────────────────────────────────────────

  /**
   * Opens the incident `id` for alerts already written with it (idempotent: a repeated call,
   * after a crash, changes nothing), owes its message, and marks the alerts announced.
   */
  async open(id: Types.ObjectId, kind: AlertKind, detectedAt: Date): Promise<void> {
    const size = await this.models.Alert.countDocuments({ incidentId: id });
    try {
      await this.models.Incident.updateOne(
        { _id: id },
        { $setOnInsert: { kind, size, detectedAt, remindFrom: detectedAt } },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const incident = await this.models.Incident.findById(id, { version: 1 }).lean();
    await this.outbox.want(incidentMessageRef(id), incident?.version ?? 1);
    await this.models.Alert.updateMany({ incidentId: id, pendingSince: { $exists: true } }, { $unset: { pendingSince: 1 } });
  }

  /**
   * Resolves an alert (recovered, or closed: its phone left the fleet): the reply announcing it is
   * owed first, then the alert closed, then its incident brought up to date. Returns the alert as
   * closed (by this call or an earlier one), and whether this call closed it.
   */
  async resolve(
    alert: AlertRecord,
    at: Date,
    resolution: 'recovered' | AlertClosure,
    details: Record<string, unknown> = {},
    resolvedBy: string | null = null,
  ): Promise<{ alert: AlertRecord | null; resolvedNow: boolean }> {
    const type: IncidentReplyType = resolution === 'recovered' ? 'recovered' : 'closed';
    await this.owe(alert.incidentId, `${type}:${alert._id}:${alert.reopens}`, { type, alertId: String(alert._id) });
    const detailSet = Object.fromEntries(Object.entries(details).map(([k, v]) => [`details.${k}`, v]));
    const done = await this.models.Alert.updateOne(
      { _id: alert._id, resolvedAt: null },
      // A resolved alert is announced by its resolution, if at all: no longer pending.
      { $set: { resolvedAt: at, resolution, resolvedBy, ...detailSet }, $unset: { pendingSince: 1 } },
    );
    const closed = await this.models.Alert.findById(alert._id).lean<AlertRecord>();
    // Resolved by another run just now: it brings the incident up to date (or, had it died, this settles it).
    const resolvedNow = done.modifiedCount === 1;
    if (resolvedNow) await this.changed(alert.incidentId, closed?.resolvedAt ?? at);
    else await this.settle(alert.incidentId, closed?.resolvedAt ?? at);
    return { alert: closed, resolvedNow };
  }

  /** A silent alert's phone is silent again soon after it recovered: the alert (and its incident) opens again. */
  async reopen(alert: AlertRecord, silentSince: Date): Promise<void> {
    if (!alert.resolvedAt) return;
    const reopens = alert.reopens + 1;
    await this.owe(alert.incidentId, `reopened:${alert._id}:${reopens}`, { type: 'reopened', alertId: String(alert._id) });
    await this.models.Alert.updateOne(
      { _id: alert._id, resolvedAt: alert.resolvedAt, reopens: alert.reopens },
      {
        $set: { resolvedAt: null, resolution: null, resolvedBy: null, lastSilentSince: silentSince, lastResolvedAt: alert.resolvedAt },
        $inc: { reopens: 1 },
      },
    );
    // Paging again: a fresh acknowledgement is asked for, and reminders count from now.
    await this.models.Incident.updateOne(
      { _id: alert.incidentId },
      { $set: { ackedAt: null, ackedBy: null, remindFrom: this.clock(), remindedSlot: 0 } },
    );
    await this.changed(alert.incidentId, null);
  }

  /** Brings an incident up to date with its alerts: resolved once none is open, open again otherwise. */
  private async changed(incidentId: Types.ObjectId, resolvedAt: Date | null): Promise<void> {
    const open = await this.models.Alert.countDocuments({ incidentId, resolvedAt: null });
    const updated = await this.models.Incident.findOneAndUpdate(
      { _id: incidentId },
      { $inc: { version: 1 }, $set: { resolvedAt: open === 0 ? (resolvedAt ?? this.clock()) : null } },
      { returnDocument: 'after', projection: { version: 1 } },
    ).lean();
    if (updated) await this.outbox.want(incidentMessageRef(incidentId), updated.version);
  }

  /** Brings the incident up to date only if it disagrees with its alerts (resolved while one is open, or the reverse). */
  private async settle(incidentId: Types.ObjectId, resolvedAt: Date): Promise<void> {
    const [incident, open] = await Promise.all([
      this.models.Incident.findById(incidentId, { resolvedAt: 1 }).lean(),
      this.models.Alert.countDocuments({ incidentId, resolvedAt: null }),
    ]);
    if (incident && (incident.resolvedAt === null) !== open > 0) await this.changed(incidentId, resolvedAt);
  }

  private owe(incidentId: Types.ObjectId, episode: string, payload: Record<string, unknown>): Promise<void> {
    return this.outbox.enqueue(incidentReplyRef(incidentId, episode), { payload });
  }

  // ── what people do ────────────────────────────────────────────────────

  /**
   * Acknowledge: exactly one acknowledgement however many press at once (one conditional update);
   * the message then says who and when, and reminders stop. Returns the incident and whether this
   * call acknowledged it.
   */
  async acknowledge(incidentId: string, actor: string): Promise<{ incident: IncidentRecord; acknowledged: boolean }> {
    const id = this.parseId(incidentId);
    const now = this.clock();
    const acked = await this.models.Incident.findOneAndUpdate(
      { _id: id, ackedAt: null, resolvedAt: null },
      { $set: { ackedAt: now, ackedBy: actor }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    ).lean<IncidentRecord>();
    if (acked) {
      await this.outbox.want(incidentMessageRef(id), acked.version);
      await this.audit.record({ actor, action: 'alert.acknowledged', ...(await this.auditSubject(id)), details: { incident: String(id) } });
      return { incident: acked, acknowledged: true };
    }
    return { incident: await this.get(id), acknowledged: false };
  }

  /** Pause 1 h: pauses the alerts of every phone of the incident that is still in trouble (each audited), and says so on the message. */
  async pause(incidentId: string, actor: string, minutes = PAUSE_BUTTON_MINUTES): Promise<{ incident: IncidentRecord; phones: string[] }> {
    const id = this.parseId(incidentId);
    const incident = await this.get(id);
    if (incident.resolvedAt) throw new DomainError('conflict', 'This alert is resolved already: nothing to pause.', 'incident');
    const open = await this.models.Alert.find({ incidentId: id, resolvedAt: null }, { phoneNumber: 1 }).lean();
    const numbers = [...new Set(open.map((a) => a.phoneNumber))];
    let until: Date | null = null;
    for (const number of numbers) until = (await this.phones.pause(number, minutes, actor)).pausedUntil;
    const paused = await this.models.Incident.findOneAndUpdate(
      { _id: id },
      { $set: { pausedUntil: until, pausedBy: actor }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    ).lean<IncidentRecord>();
    if (paused) await this.outbox.want(incidentMessageRef(id), paused.version);
    return { incident: paused ?? incident, phones: numbers };
  }

  // ── reminders ─────────────────────────────────────────────────────────

  /**
   * SILENT_REMIND_MINUTES: a reply in the thread of every open, unacknowledged silent incident
   * once per interval since it was detected (or reopened). The interval's number names the
   * reminder, so however many runs do this at once, each is owed once. Incidents whose phones
   * are all paused or unlinked are not reminded about.
   */
  async remind(): Promise<number> {
    if (this.options.remindMs <= 0) return 0;
    const now = this.clock();
    const open = await this.models.Incident.find({ resolvedAt: null, ackedAt: null, kind: 'silent' })
      .sort({ detectedAt: 1 })
      .limit(5000)
      .lean<IncidentRecord[]>();
    let owed = 0;
    for (const incident of open) {
      const from = incident.remindFrom;
      const slot = Math.floor((now.getTime() - from.getTime()) / this.options.remindMs);
      if (slot < 1 || slot <= incident.remindedSlot) continue;
      if (await this.allQuiet(incident._id, now)) continue;
      await this.owe(incident._id, `reminder:${from.getTime()}:${slot}`, { type: 'reminder' });
      await this.models.Incident.updateOne({ _id: incident._id, remindedSlot: { $lt: slot } }, { $set: { remindedSlot: slot } });
      owed++;
    }
    return owed;
  }

  /** Every phone still in trouble is paused or unlinked: nobody is to be reminded. */
  private async allQuiet(incidentId: Types.ObjectId, now: Date): Promise<boolean> {
    const open = await this.models.Alert.find({ incidentId, resolvedAt: null }, { phoneNumber: 1 }).lean();
    const phones = await this.models.Phone.find({ number: { $in: open.map((a) => a.phoneNumber) } }, { keyId: 1, pausedUntil: 1 }).lean();
    return phones.length > 0 && phones.every((p) => !p.keyId || (p.pausedUntil && p.pausedUntil.getTime() > now.getTime()));
  }

  // ── phones that leave the fleet ───────────────────────────────────────

  /** A revoked key's phones stop being watched at once: their open alerts are closed as "key deleted". */
  closeForKey(keyId: string, actor: string): Promise<number> {
    return this.closeWatch({ keyId, resolvedAt: null }, { keyId }, 'key deleted', actor);
  }

  /**
   * A number unlinked from its key stops being watched at once: its open alerts (whichever key
   * they were raised under) are closed as "unlinked". Only while the number is unlinked, so a
   * late call cannot close the alerts of a phone that registered again meanwhile.
   */
  async closeForPhone(phoneNumber: string, actor: string): Promise<number> {
    if (!(await this.models.Phone.exists({ number: phoneNumber, keyId: null }))) return 0;
    return this.closeWatch({ phoneNumber, resolvedAt: null }, { number: phoneNumber, keyId: null }, 'unlinked', actor);
  }

  /**
   * Closes the open alerts `alerts` selects, each by one conditional update with a reply that
   * says why, who and when (owed once per alert, so a repeated call posts nothing more), then
   * forgets on the phones `phones` selects what would alert again.
   */
  private async closeWatch(
    alerts: Record<string, unknown>,
    phones: Record<string, unknown>,
    closure: AlertClosure,
    actor: string,
  ): Promise<number> {
    const now = this.clock();
    const open = await this.models.Alert.find(alerts).lean<AlertRecord[]>();
    let closed = 0;
    for (const alert of open) if ((await this.resolve(alert, now, closure, {}, actor)).resolvedNow) closed++;
    await this.models.Phone.updateMany(phones, {
      $set: { alertId: null, failingAlertId: null, batteryAlertId: null },
      $unset: { sendFailures: 1, firstFailedSendAt: 1, batteryLowSince: 1 },
    });
    return closed;
  }

  // ── reading ───────────────────────────────────────────────────────────

  async view(incidentId: Types.ObjectId | string): Promise<IncidentView | null> {
    const incident = await this.models.Incident.findById(incidentId).lean<IncidentRecord>();
    if (!incident) return null;
    const alerts = await this.models.Alert.find({ incidentId: incident._id }).sort({ since: 1, _id: 1 }).lean<AlertRecord[]>();
    return { incident, alerts };
  }

  private async get(id: Types.ObjectId): Promise<IncidentRecord> {
    const incident = await this.models.Incident.findById(id).lean<IncidentRecord>();
    if (!incident) throw new DomainError('not_found', 'This alert is no longer known.', 'incident');
    return incident;
  }

  private parseId(id: string): Types.ObjectId {
    if (!/^[0-9a-f]{24}$/.test(id)) throw new DomainError('not_found', 'This alert is no longer known.', 'incident');
    return new Types.ObjectId(id);
  }

  /** The key and phone an audit entry names: those of a single alert. */
  private async auditSubject(id: Types.ObjectId): Promise<{ keyId?: string; phoneNumber?: string }> {
    const alerts = await this.models.Alert.find({ incidentId: id }, { keyId: 1, phoneNumber: 1 }).limit(2).lean();
    return alerts.length === 1 ? { keyId: alerts[0]!.keyId, phoneNumber: alerts[0]!.phoneNumber } : {};
  }
}
