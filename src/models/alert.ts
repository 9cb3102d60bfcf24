import { type Connection, type Model, Schema, type Types } from 'mongoose';

/** What on-call is paged about (README: Scheduled jobs and alerts). */
export const ALERT_KINDS = ['silent', 'failing', 'battery'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * How an alert ends: `recovered` (the trouble is over); closed because its phone left the fleet —
 * `key deleted` (its key was revoked) or `unlinked` (its number was unlinked from the key); or
 * `stale` (the trouble ended before the alert could be shown: never shown).
 */
export type AlertResolution = 'recovered' | 'key deleted' | 'unlinked' | 'stale';
/** The resolutions that close an alert because nobody is to be paged about its phone any more. */
export type AlertClosure = Extract<AlertResolution, 'key deleted' | 'unlinked'>;
export const ALERT_CLOSURES: readonly AlertClosure[] = ['key deleted', 'unlinked'];
export const isClosure = (resolution: string | null | undefined): resolution is AlertClosure =>
  ALERT_CLOSURES.includes(resolution as AlertClosure);

export interface AlertFields {
  kind: AlertKind;
  phoneNumber: string;
  keyId: string;
  /**
   * When the trouble began: silent — the last heartbeat before the silence; failing — the first
   * failed send of the streak; battery — the first low heartbeat. With the kind and the number it
   * names the episode: unique, so there is one alert per episode however many runs detect it.
   */
  since: Date;
  detectedAt: Date;
  /** The incident (the Slack message) that shows it: its own, or a group's. */
  incidentId: Types.ObjectId;
  /** Set at creation, unset once its incident exists and its message is owed: a crash in between is finished by the next run. */
  pendingSince?: Date;
  resolvedAt: Date | null;
  /** How it ended (AlertResolution). */
  resolution: AlertResolution | null;
  /** Who closed it (a closure: the key's deleter, the number's unlinker): a Slack user, `api:<token>` or `system:<job>`. */
  resolvedBy?: string | null;
  /** Silent only: the start of the current silence (differs from `since` once the alert was reopened). */
  lastSilentSince: Date | null;
  /** Silent only: how often it was reopened (silent again soon after recovering), and when it last recovered. */
  reopens: number;
  lastResolvedAt: Date | null;
  /** What the kind adds: failing — failures, reasons, lost; battery — battery, charging. */
  details: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export type AlertRecord = AlertFields & { _id: Types.ObjectId };

/**
 * One episode of trouble of one phone. Created by the single conditional update that decides it
 * (the phone's transition), so there is exactly one per episode; shown in Slack through its
 * incident.
 */
const alertSchema = new Schema<AlertFields>(
  {
    kind: { type: String, enum: ALERT_KINDS, required: true },
    phoneNumber: { type: String, required: true },
    keyId: { type: String, required: true },
    since: { type: Date, required: true },
    detectedAt: { type: Date, required: true },
    incidentId: { type: Schema.Types.ObjectId, required: true },
    pendingSince: { type: Date },
    resolvedAt: { type: Date, default: null },
    resolution: { type: String, default: null },
    resolvedBy: { type: String, default: null },
    lastSilentSince: { type: Date, default: null },
    reopens: { type: Number, default: 0 },
    lastResolvedAt: { type: Date, default: null },
    details: { type: Schema.Types.Mixed, default: () => ({}) },
  },
  { timestamps: true, collection: 'alerts', minimize: false },
);

alertSchema.index({ kind: 1, phoneNumber: 1, since: 1 }, { unique: true });
// An incident's alerts (oldest first), and the open ones among them.
alertSchema.index({ incidentId: 1, since: 1, _id: 1 });
alertSchema.index({ incidentId: 1, resolvedAt: 1 });
// Open alerts newest first, and their count (App Home); a key's (its revocation closes them) and a number's (its unlinking does).
alertSchema.index({ resolvedAt: 1, detectedAt: -1 });
alertSchema.index({ keyId: 1, resolvedAt: 1 });
alertSchema.index({ phoneNumber: 1, resolvedAt: 1 });
// Alerts whose incident was not set up yet (a crash between two writes): tiny, sparse.
alertSchema.index({ pendingSince: 1 }, { sparse: true });

export type AlertModel = Model<AlertFields>;

export const defineAlertModel = (connection: Connection): AlertModel => connection.model<AlertFields>('Alert', alertSchema);
