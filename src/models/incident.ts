import { type Connection, type Model, Schema, type Types } from 'mongoose';
import { ALERT_KINDS, type AlertKind } from './alert.js';

export interface IncidentFields {
  kind: AlertKind;
  /** How many alerts it was opened with: 1, or a group (phones silent in one run). */
  size: number;
  detectedAt: Date;
  /** When its last alert was resolved (null while any is open). */
  resolvedAt: Date | null;
  ackedAt: Date | null;
  ackedBy: string | null;
  /** Pause 1 h pressed on it: its phones' alerts are paused until then. */
  pausedUntil: Date | null;
  pausedBy: string | null;
  /** Bumped by every change its message shows; the outbox brings the message up to it. */
  version: number;
  /** Reminders count intervals from here: detection, or the last reopening. */
  remindFrom: Date;
  /** The last reminder slot owed (SILENT_REMIND_MINUTES intervals since `remindFrom`). */
  remindedSlot: number;
  createdAt: Date;
  updatedAt: Date;
}

export type IncidentRecord = IncidentFields & { _id: Types.ObjectId };

/**
 * What one Slack alert message shows: one alert, or a group of them (a storm). It is what on-call
 * acknowledges and pauses, and what reminders are about; each change is one conditional update
 * that bumps `version`.
 */
const incidentSchema = new Schema<IncidentFields>(
  {
    kind: { type: String, enum: ALERT_KINDS, required: true },
    size: { type: Number, required: true },
    detectedAt: { type: Date, required: true },
    resolvedAt: { type: Date, default: null },
    ackedAt: { type: Date, default: null },
    ackedBy: { type: String, default: null },
    pausedUntil: { type: Date, default: null },
    pausedBy: { type: String, default: null },
    version: { type: Number, default: 1 },
    remindFrom: { type: Date, required: true },
    remindedSlot: { type: Number, default: 0 },
  },
  { timestamps: true, collection: 'incidents' },
);

// Reminders: open, unacknowledged incidents of a kind, oldest first.
incidentSchema.index({ kind: 1, resolvedAt: 1, ackedAt: 1, detectedAt: 1 });

export type IncidentModel = Model<IncidentFields>;

export const defineIncidentModel = (connection: Connection): IncidentModel => connection.model<IncidentFields>('Incident', incidentSchema);
