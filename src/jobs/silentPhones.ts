import type { AppContext } from '../context.js';
import { OutboxKind } from '../domain/outboxRefs.js';
import type { DrainResult } from '../slack/outbox/index.js';

/**
 * The silent-phones job: the monitor's transitions (domain/alerts/silent.ts), which owe the
 * alert messages and thread replies in the outbox, then one pass of the outbox to deliver them.
 * Order matters: recoveries are closed before new silences are detected, so a phone that came
 * back and fell silent again between two runs gets its old alert resolved (or reopened) first.
 */

export interface SilentPhonesSummary {
  /** Transitions whose alert a crashed run had not written. */
  repaired: number;
  resolved: number;
  /** Alerts created (a group counts each of its phones). */
  detected: number;
  reopened: number;
  /** Alert messages posted. */
  posted: number;
  /** Thread replies posted (recoveries, reopenings, reminders, closings). */
  recoveriesPosted: number;
  reminders: number;
  /** Slack attempts that failed (their messages are retried later). */
  slackFailures: number;
  /** Messages Slack refused for good (counted in /metrics; see the log). */
  givenUp: number;
}

export async function silentPhonesJob(context: AppContext): Promise<SilentPhonesSummary> {
  const { monitor, incidents } = context.domain;
  const repaired = await monitor.finishPendingAlerts();
  const resolved = await monitor.resolveRecovered();
  const detected = await monitor.detectSilent();
  const reminders = await incidents.remind();
  const drained = await context.slackOutbox.drain();
  return {
    repaired,
    resolved,
    detected: detected.created.length,
    reopened: detected.reopened,
    ...outboxSummary(drained),
    reminders,
  };
}

/** What the outbox pass delivered, in the jobs' terms. */
export function outboxSummary(
  drained: DrainResult,
): Pick<SilentPhonesSummary, 'posted' | 'recoveriesPosted' | 'slackFailures' | 'givenUp'> {
  return {
    posted: drained.created[OutboxKind.incidentMessage] ?? 0,
    recoveriesPosted: drained.delivered[OutboxKind.incidentReply] ?? 0,
    slackFailures: drained.failed,
    givenUp: drained.givenUp,
  };
}
