import type { Types } from 'mongoose';
import type { OutboxRef } from './outbox.js';

/**
 * The messages the domain owes, by kind, and how each names its subject and episode. The Slack
 * side (src/slack/outbox/kinds/) renders each kind; these names are the contract between them.
 */
export const OutboxKind = {
  /** An incident's alert message in ALERT_CHANNEL_ID, kept up to date with the incident. */
  incidentMessage: 'incident.message',
  /** A reply in an incident's thread: recovered, silent again, reminder, closed. */
  incidentReply: 'incident.reply',
  /** The DM that warns a key's creator that rotation is coming, with a Rotate now button. */
  rotationWarning: 'rotation.warning',
  /** The DM to a key's creator when it is due for rotation. */
  rotationDue: 'rotation.due',
  /** The key's line in a rotation notice in ALERT_CHANNEL_ID (notices of one run share a message). */
  rotationNotice: 'rotation.notice',
  /** The redaction of the DM that revealed a secret (after REVEAL_TTL_MINUTES, or at once by its button). */
  revealRedaction: 'reveal.redaction',
  /** A DM to an admin: alerts cannot be posted in ALERT_CHANNEL_ID, and how to fix it. */
  adminAlertChannel: 'admin.alert-channel',
  /** A notice in ALERT_CHANNEL_ID: a phone number moved from one key to another. */
  phoneTakeover: 'phone.takeover',
  /** The weekly fleet report in ALERT_CHANNEL_ID: its chart, then its summary; one per period. */
  fleetReport: 'fleet.report',
} as const;

export type IncidentReplyType = 'recovered' | 'reopened' | 'reminder' | 'closed';

export const incidentMessageRef = (incidentId: Types.ObjectId | string): OutboxRef => ({
  kind: OutboxKind.incidentMessage,
  subject: String(incidentId),
  episode: 'message',
});

export const incidentReplyRef = (incidentId: Types.ObjectId | string, episode: string): OutboxRef => ({
  kind: OutboxKind.incidentReply,
  subject: String(incidentId),
  episode,
});

/** The reveal of a key (`key`) or an API token (`token`): each is revealed once. */
export const revealRedactionRef = (owner: 'key' | 'token', id: string): OutboxRef => ({
  kind: OutboxKind.revealRedaction,
  subject: `${owner}:${id}`,
  episode: 'reveal',
});

/** The fleet report of a period (named by its first day): owed once, however many runs owe it. */
export const fleetReportRef = (period: { start: Date }): OutboxRef => ({
  kind: OutboxKind.fleetReport,
  subject: 'fleet',
  episode: period.start.toISOString().slice(0, 10),
});
