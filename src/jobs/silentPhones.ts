import type { Types } from 'mongoose';
import type { AppContext } from '../context.js';
import { publicIdOf } from '../domain/keyMaterial.js';
import type { AlertRecord } from '../domain/monitor.js';
import { alertMessage, recoveryReply, reminderReply, resolvedAlertMessage } from '../slack/blocks/alerts.js';
import { isGoneError, slackErrorCode, slackErrorSummary } from '../slack/errors.js';
import type { KeyRef } from '../slack/format.js';

/**
 * The silent-phones job: the monitor's transitions (domain/monitor.ts), then the Slack side of
 * them. Order matters: recoveries are closed before new silences are detected, so a phone that
 * came back and fell silent again between two runs gets its old alert resolved and a new one.
 * Anything Slack refused stays pending in MongoDB and is retried by the next run.
 */

export interface SilentPhonesSummary {
  /** Transitions whose alert a crashed run had not written. */
  repaired: number;
  resolved: number;
  detected: number;
  posted: number;
  recoveriesPosted: number;
  reminders: number;
  /** Slack calls that failed (their work is retried by the next run). */
  slackFailures: number;
}

/** A poster's claim on an alert: longer than any Slack call we make (retries included). */
const CLAIM_MS = 5 * 60_000;
/** Slack posts per pass and run; the rest wait for the next run. */
const MAX_POSTS_PER_RUN = 500;
/** After this many failures in a row Slack is struggling: leave the rest for the next run. */
const MAX_FAILURES_IN_A_ROW = 3;

export async function silentPhonesJob(context: AppContext): Promise<SilentPhonesSummary> {
  const { monitor } = context.domain;
  const channel = context.config.slack.alertChannelId;
  const repaired = await monitor.finishPendingAlerts(channel);
  const resolved = (await monitor.resolveRecovered()).length;
  const detected = (await monitor.detectSilent(channel)).length;
  const keys = new KeyLabels(context);
  const alerts = await postPendingAlerts(context, keys);
  const recoveries = await postRecoveryNotices(context, keys);
  const reminders = await postReminders(context);
  return {
    repaired,
    resolved,
    detected,
    posted: alerts.done,
    recoveriesPosted: recoveries.done,
    reminders: reminders.done,
    slackFailures: alerts.failed + recoveries.failed + reminders.failed,
  };
}

interface PassResult {
  done: number;
  failed: number;
}

/**
 * Works through claimed alerts one at a time: claim, do the Slack part, record it. A failed
 * Slack call releases the claim (the next run retries); after a few failures in a row the
 * rest waits for the next run. Recording is outside the catch: a database error there must
 * not release the claim of a message that did reach Slack.
 */
async function drainClaims<T>(
  context: AppContext,
  what: string,
  claimNext: (tried: Types.ObjectId[]) => Promise<AlertRecord | null>,
  post: (alert: AlertRecord) => Promise<T>,
  record: (alert: AlertRecord, posted: T) => Promise<void>,
): Promise<PassResult> {
  const { monitor } = context.domain;
  const log = context.logger.child({ job: 'silent-phones' });
  const tried: Types.ObjectId[] = [];
  const result = { done: 0, failed: 0 };
  let failuresInARow = 0;
  while (tried.length < MAX_POSTS_PER_RUN && failuresInARow < MAX_FAILURES_IN_A_ROW) {
    const alert = await claimNext(tried);
    if (!alert) break;
    tried.push(alert._id);
    let posted: T;
    try {
      posted = await post(alert);
    } catch (error) {
      result.failed++;
      failuresInARow++;
      log.warn(
        { phoneNumber: alert.phoneNumber, alertId: String(alert._id), err: slackErrorSummary(error) },
        `could not post ${what}; retrying on the next run`,
      );
      await monitor.releaseClaim(alert._id, slackErrorCode(error));
      continue;
    }
    failuresInARow = 0;
    await record(alert, posted);
    result.done++;
  }
  return result;
}

/** Posts every alert not yet in Slack: new ones and those whose earlier post failed. */
function postPendingAlerts(context: AppContext, keys: KeyLabels): Promise<PassResult> {
  const { monitor } = context.domain;
  const log = context.logger.child({ job: 'silent-phones' });
  return drainClaims(
    context,
    'a silent-phone alert',
    (tried) => monitor.claimNextUnposted(CLAIM_MS, tried),
    async (alert) => {
      const message = alertMessage(alert, await keys.of(alert.keyId), context.clock());
      return (await context.slack.chat.postMessage({ channel: alert.channel, ...message, unfurl_links: false, unfurl_media: false })).ts;
    },
    async (alert, ts) => {
      await monitor.markPosted(alert._id, ts ?? '');
      log.info(
        { phoneNumber: alert.phoneNumber, keyId: publicIdOf(alert.keyId), alertId: String(alert._id), silentSince: alert.silentSince },
        'silent-phone alert posted',
      );
    },
  );
}

/** For each resolved alert: the message becomes its resolved form, and a reply in its thread says how long it lasted. */
function postRecoveryNotices(context: AppContext, keys: KeyLabels): Promise<PassResult> {
  const { monitor } = context.domain;
  const log = context.logger.child({ job: 'silent-phones' });
  return drainClaims(
    context,
    'a recovery notice',
    (tried) => monitor.claimNextRecoveryNotice(CLAIM_MS, tried),
    async (alert) => {
      await updateToResolved(context, alert, await keys.of(alert.keyId));
      await context.slack.chat.postMessage({ channel: alert.channel, thread_ts: alert.ts ?? undefined, ...recoveryReply(alert) });
    },
    async (alert) => {
      await monitor.markRecoveryPosted(alert._id);
      const outageSeconds = Math.round(((alert.resolvedAt?.getTime() ?? 0) - alert.silentSince.getTime()) / 1000);
      log.info({ phoneNumber: alert.phoneNumber, alertId: String(alert._id), outageSeconds }, 'phone back online; alert resolved');
    },
  );
}

/** chat.update to the resolved form; a message deleted or too old to edit is left as it is. */
async function updateToResolved(context: AppContext, alert: AlertRecord, key: KeyRef): Promise<void> {
  try {
    await context.slack.chat.update({ channel: alert.channel, ts: alert.ts ?? '', ...resolvedAlertMessage(alert, key) });
  } catch (error) {
    if (!isGoneError(error)) throw error;
    context.logger.warn(
      { alertId: String(alert._id), err: slackErrorSummary(error) },
      'alert message cannot be updated; posting the recovery reply only',
    );
  }
}

/** SILENT_REMIND_MINUTES: a reply in the alert's thread per interval while the phone stays silent. */
async function postReminders(context: AppContext): Promise<PassResult> {
  const { monitor } = context.domain;
  const log = context.logger.child({ job: 'silent-phones' });
  const result = { done: 0, failed: 0 };
  const now = context.clock();
  for (const claim of await monitor.claimDueReminders()) {
    const { alert } = claim;
    if (result.failed >= MAX_FAILURES_IN_A_ROW) {
      await monitor.undoReminder(claim);
      continue;
    }
    try {
      await context.slack.chat.postMessage({ channel: alert.channel, thread_ts: alert.ts ?? undefined, ...reminderReply(alert, now) });
      result.done++;
    } catch (error) {
      result.failed++;
      log.warn(
        { phoneNumber: alert.phoneNumber, alertId: String(alert._id), err: slackErrorSummary(error) },
        'could not post a silent-phone reminder; retrying on the next run',
      );
      await monitor.undoReminder(claim);
    }
  }
  return result;
}

/** Key names for messages, looked up once per run. */
class KeyLabels {
  private readonly cache = new Map<string, KeyRef>();
  constructor(private readonly context: AppContext) {}

  async of(keyId: string): Promise<KeyRef> {
    let label = this.cache.get(keyId);
    if (!label) {
      const key = await this.context.models.Key.findOne({ keyId }, { name: 1 }).lean();
      label = { keyId, name: key?.name ?? null };
      this.cache.set(keyId, label);
    }
    return label;
  }
}
