import type { AlertRecord } from '../../domain/monitor.js';
import { durationText, isoTime, type KeyRef, keyLabel, keyPlain, slackDate } from '../format.js';
import { context, fields, type SlackMessage, section } from '../kit.js';

/**
 * The silent-phone messages in ALERT_CHANNEL_ID: the alert, what it becomes once resolved, and
 * the thread replies. The text is the notification and screen-reader fallback, so it carries
 * the whole message too. Phone numbers are E.164 (the domain checked them): no escaping needed.
 */

/** The alert in ALERT_CHANNEL_ID; if the phone came back before it could be posted, its resolved form. */
export function alertMessage(alert: AlertRecord, key: KeyRef, now: Date): SlackMessage {
  if (alert.resolvedAt) return resolvedAlertMessage(alert, key);
  const silentFor = durationText(now.getTime() - alert.silentSince.getTime());
  return {
    text: `:rotating_light: Phone ${alert.phoneNumber} is silent: no heartbeat for ${silentFor}, last at ${isoTime(alert.silentSince)}. Key: ${keyPlain(key)}.`,
    blocks: [
      section(`:rotating_light: *Phone ${alert.phoneNumber} is silent*`),
      fields([
        ['Phone', alert.phoneNumber],
        ['Key', keyLabel(key)],
        ['Last heartbeat', slackDate(alert.silentSince)],
        ['Silent for', silentFor],
      ]),
      context(
        `Updates and the recovery notice follow in this thread. Pause alerts for it with \`/keys pause ${alert.phoneNumber} [minutes]\`.`,
      ),
    ],
  };
}

/** What the alert message becomes once the phone is back. */
export function resolvedAlertMessage(alert: AlertRecord, key: KeyRef): SlackMessage {
  const back = alert.resolvedAt ?? alert.silentSince;
  const outage = durationText(back.getTime() - alert.silentSince.getTime());
  return {
    text: `:white_check_mark: Resolved: phone ${alert.phoneNumber} (key ${keyPlain(key)}) was silent for ${outage} and is back online.`,
    blocks: [
      section(`:white_check_mark: *Resolved: phone ${alert.phoneNumber} is back online*`),
      fields([
        ['Phone', alert.phoneNumber],
        ['Key', keyLabel(key)],
        ['Silent from', slackDate(alert.silentSince)],
        ['Back at', slackDate(back)],
      ]),
      context(`Outage: ${outage}.`),
    ],
  };
}

/** The thread reply when the phone is back. */
export function recoveryReply(alert: AlertRecord): SlackMessage {
  const back = alert.resolvedAt ?? alert.silentSince;
  const outage = durationText(back.getTime() - alert.silentSince.getTime());
  return {
    text: `:white_check_mark: ${alert.phoneNumber} is back online after ${outage} (first heartbeat at ${isoTime(back)}).`,
    blocks: [section(`:white_check_mark: ${alert.phoneNumber} is back online after *${outage}* (first heartbeat ${slackDate(back)}).`)],
  };
}

/** The thread reply while the phone stays silent (SILENT_REMIND_MINUTES). */
export function reminderReply(alert: AlertRecord, now: Date): SlackMessage {
  const silentFor = durationText(now.getTime() - alert.silentSince.getTime());
  return {
    text: `:hourglass: ${alert.phoneNumber} is still silent: no heartbeat for ${silentFor}.`,
    blocks: [
      section(`:hourglass: ${alert.phoneNumber} is still silent: no heartbeat for *${silentFor}* (last ${slackDate(alert.silentSince)}).`),
    ],
  };
}
