import type { KnownBlock } from '@slack/web-api';
import { context, section } from '../bot/blocks/kit.js';
import { mention, slackDate } from '../bot/format.js';
import { publicIdOf } from '../domain/keyMaterial.js';
import type { AlertRecord } from '../domain/monitor.js';
import type { RotationKey } from '../domain/rotation.js';

/**
 * The jobs' Slack messages: plain functions from data to text + Block Kit. The text is the
 * notification and screen-reader fallback, so it carries the whole message too.
 */

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** The key an alert is about, as people know it. */
export interface KeyLabel {
  keyId: string;
  name: string | null;
}

/** "42 minutes", "3 h 5 min", "2 d 4 h": a length of time for people. */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'less than a minute';
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** A time in plain text, e.g. 2026-11-22T10:00:00Z. */
export function isoTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function keyText(key: KeyLabel): string {
  const id = `\`${publicIdOf(key.keyId)}\``;
  return key.name ? `*${key.name}* (${id})` : id;
}

/** The key without markup, for notification text. */
export function keyPlain(key: KeyLabel): string {
  return key.name ? `${key.name} ${publicIdOf(key.keyId)}` : publicIdOf(key.keyId);
}

/** The alert in ALERT_CHANNEL_ID; if the phone came back before it could be posted, its resolved form. */
export function alertMessage(alert: AlertRecord, key: KeyLabel, now: Date): SlackMessage {
  if (alert.resolvedAt) return resolvedAlertMessage(alert, key);
  const silentFor = formatDuration(now.getTime() - alert.silentSince.getTime());
  return {
    text: `:rotating_light: Phone ${alert.phoneNumber} is silent: no heartbeat for ${silentFor}, last at ${isoTime(alert.silentSince)} (key ${keyPlain(key)}).`,
    blocks: [
      section(`:rotating_light: *Phone ${alert.phoneNumber} is silent*`),
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Phone*\n${alert.phoneNumber}` },
          { type: 'mrkdwn', text: `*Key*\n${keyText(key)}` },
          { type: 'mrkdwn', text: `*Last heartbeat*\n${slackDate(alert.silentSince)}` },
          { type: 'mrkdwn', text: `*Silent for*\n${silentFor}` },
        ],
      },
      context(
        `Updates and the recovery notice follow in this thread. Pause alerts for it with \`/keys pause ${alert.phoneNumber} [minutes]\`.`,
      ),
    ],
  };
}

/** What the alert message becomes once the phone is back. */
export function resolvedAlertMessage(alert: AlertRecord, key: KeyLabel): SlackMessage {
  const back = alert.resolvedAt ?? alert.silentSince;
  const outage = formatDuration(back.getTime() - alert.silentSince.getTime());
  return {
    text: `:white_check_mark: Resolved: phone ${alert.phoneNumber} (key ${keyPlain(key)}) was silent for ${outage} and is back online.`,
    blocks: [
      section(`:white_check_mark: *Resolved: phone ${alert.phoneNumber} is back online*`),
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Phone*\n${alert.phoneNumber}` },
          { type: 'mrkdwn', text: `*Key*\n${keyText(key)}` },
          { type: 'mrkdwn', text: `*Silent from*\n${slackDate(alert.silentSince)}` },
          { type: 'mrkdwn', text: `*Back at*\n${slackDate(back)}` },
        ],
      },
      context(`Outage: ${outage}.`),
    ],
  };
}

/** The thread reply when the phone is back. */
export function recoveryReply(alert: AlertRecord): SlackMessage {
  const back = alert.resolvedAt ?? alert.silentSince;
  const outage = formatDuration(back.getTime() - alert.silentSince.getTime());
  return {
    text: `:white_check_mark: ${alert.phoneNumber} is back online after ${outage} (first heartbeat at ${isoTime(back)}).`,
    blocks: [section(`:white_check_mark: ${alert.phoneNumber} is back online after *${outage}* (first heartbeat ${slackDate(back)}).`)],
  };
}

/** The thread reply while the phone stays silent (SILENT_REMIND_MINUTES). */
export function reminderReply(alert: AlertRecord, now: Date): SlackMessage {
  const silentFor = formatDuration(now.getTime() - alert.silentSince.getTime());
  return {
    text: `:hourglass: ${alert.phoneNumber} is still silent: no heartbeat for ${silentFor}.`,
    blocks: [
      section(`:hourglass: ${alert.phoneNumber} is still silent: no heartbeat for *${silentFor}* (last ${slackDate(alert.silentSince)}).`),
    ],
  };
}

/** The DM to a key's creator when it is due for rotation. */
export function rotationDm(key: RotationKey, now: Date, rotationDays: number): SlackMessage {
  const age = formatDuration(now.getTime() - key.createdAt.getTime());
  const how = `Rotate it with \`/keys rotate ${key.name}\`: you get the new key by DM, and the old one keeps working during the grace period so the phone can switch over.`;
  return {
    text: `:key: Your phone key ${key.name} (${publicIdOf(key.keyId)}) is ${age} old and due for rotation (older than ${rotationDays} days). ${how}`,
    blocks: [
      section(`:key: Your phone key ${keyText(key)} is *${age}* old and due for rotation (keys older than ${rotationDays} days are).`),
      section(how),
    ],
  };
}

/** Keys per channel notice: one block each, within Slack's 50 blocks per message. */
export const KEYS_PER_ROTATION_NOTICE = 40;

/** One message in ALERT_CHANNEL_ID listing keys flagged in a run (at most KEYS_PER_ROTATION_NOTICE). */
export function rotationNotice(keys: RotationKey[], now: Date, rotationDays: number): SlackMessage {
  const lines = keys.map(
    (k) =>
      `• ${keyText(k)}, created ${slackDate(k.createdAt)} by ${mention(k.createdBy)} (${formatDuration(now.getTime() - k.createdAt.getTime())} old)`,
  );
  const title = keys.length === 1 ? '1 phone key is due for rotation' : `${keys.length} phone keys are due for rotation`;
  return {
    text: `:key: ${title} (older than ${rotationDays} days): ${keys.map((k) => `${k.name} (${publicIdOf(k.keyId)})`).join(', ')}. Rotate with /keys rotate <name>.`,
    blocks: [
      section(`:key: *${title}* (older than ${rotationDays} days)`),
      ...lines.map((line) => section(line)),
      context('Rotate each with `/keys rotate <name>`; the old key keeps working during the grace period.'),
    ],
  };
}
