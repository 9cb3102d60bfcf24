import { type Connection, type Model, Schema, type Types } from 'mongoose';

/**
 * One chat message the system owes (README: Slack outbox): an alert to post or bring up to date,
 * a thread reply, a DM, a redaction. Unique per (kind, subject, episode), so it exists once
 * however many instances or runs create it. `nextAttemptAt` is both the schedule and the claim:
 * a claim pushes it into the future (so an abandoned claim simply comes due again) and stamps
 * `claim`, which every later write of that attempt is conditional on.
 */
export const OUTBOX_STATES = ['pending', 'sent', 'given_up', 'cancelled'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

export interface OutboxMessageFields {
  kind: string;
  /** What it is about (an incident, a key, a user…): the kind knows how to read it. */
  subject: string;
  /** Which occurrence: a message that may be owed again for the same subject gets a new episode. */
  episode: string;
  /** What the kind needs to render itself (domain data, never a secret, never Block Kit). */
  payload: Record<string, unknown>;
  state: OutboxState;
  nextAttemptAt: Date;
  /** The attempt holding the item (null when none). */
  claim: string | null;
  attempts: number;
  /** Refusals counted towards giving up (rate limits and waits are not). */
  failures: number;
  /** The last attempt's outcome is unknown (timeout, 5xx): look the message up before posting again. */
  uncertain: boolean;
  /** For messages kept up to date: the newest version asked for, and the one Slack shows. */
  wanted: number;
  shown: number;
  /** Where the message was posted, once it was. */
  channel: string | null;
  ts: string | null;
  /** Steps of a multi-step delivery already done (their Slack ts), so a retry does not repeat them. */
  progress: Record<string, string>;
  /** Items delivered together in one message (a batching kind) share this. */
  batch: string | null;
  lastError: string | null;
  sentAt: Date | null;
  /** When a finished item may be deleted (TTL). */
  purgeAt: Date | null;
  /** When it was first owed (the app's clock, unlike createdAt): how long it has waited. */
  owedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export type OutboxMessageRecord = OutboxMessageFields & { _id: Types.ObjectId };

const outboxMessageSchema = new Schema<OutboxMessageFields>(
  {
    kind: { type: String, required: true },
    subject: { type: String, required: true },
    episode: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, default: () => ({}) },
    state: { type: String, enum: OUTBOX_STATES, default: 'pending', required: true },
    nextAttemptAt: { type: Date, required: true },
    claim: { type: String, default: null },
    attempts: { type: Number, default: 0 },
    failures: { type: Number, default: 0 },
    uncertain: { type: Boolean, default: false },
    wanted: { type: Number, default: 0 },
    shown: { type: Number, default: 0 },
    channel: { type: String, default: null },
    ts: { type: String, default: null },
    progress: { type: Schema.Types.Mixed, default: () => ({}) },
    batch: { type: String, default: null },
    lastError: { type: String, default: null },
    sentAt: { type: Date, default: null },
    purgeAt: { type: Date, default: null },
    owedAt: { type: Date, required: true },
  },
  { timestamps: true, collection: 'slack_outbox', minimize: false },
);

outboxMessageSchema.index({ kind: 1, subject: 1, episode: 1 }, { unique: true });
// The drain: due items of a state, earliest first (a claimed item's nextAttemptAt is in the future).
outboxMessageSchema.index({ state: 1, nextAttemptAt: 1, _id: 1 });
// More due items of the lead's kind, to deliver in one message; the batch it leads.
outboxMessageSchema.index({ state: 1, kind: 1, nextAttemptAt: 1, _id: 1 });
outboxMessageSchema.index({ batch: 1, state: 1, _id: 1 });
// Finished items go after a while; pending ones never (purgeAt null).
outboxMessageSchema.index({ purgeAt: 1 }, { expireAfterSeconds: 0 });

export type OutboxMessageModel = Model<OutboxMessageFields>;

export const defineOutboxMessageModel = (connection: Connection): OutboxMessageModel =>
  connection.model<OutboxMessageFields>('OutboxMessage', outboxMessageSchema);
