import type { PhoneStatus, PhoneView } from '../../domain/phones.js';
import { escapeText, slackDate } from '../format.js';
import { context, header, LIMITS, linesToSections, type SlackMessage, section } from '../kit.js';

const STATUS_ICON: Record<PhoneStatus, string> = {
  online: ':large_green_circle: online',
  silent: ':red_circle: silent',
  failing: ':warning: failing to send',
  'never seen': ':white_circle: never seen',
  paused: ':double_vertical_bar: paused',
};

/** Most phones per message: lines are grouped into sections below Slack's text limit. */
export const PHONES_PER_MESSAGE = 300;

export function phoneLine(phone: PhoneView): string {
  const key = phone.publicId ? `\`${phone.publicId}\` (${escapeText(phone.keyName ?? '?')})` : '_unlinked_';
  const status = phone.status === 'paused' ? `${STATUS_ICON.paused} until ${slackDate(phone.pausedUntil)}` : STATUS_ICON[phone.status];
  const battery = phone.battery === null ? 'battery ?' : `battery ${phone.battery}%`;
  const charging = phone.charging === null ? '' : phone.charging ? ', charging' : ', not charging';
  const test = phone.environment === 'test' ? ' `test`' : '';
  const alerts = openAlertsText(phone);
  return `*${phone.number}*${test} · ${key} · ${status} · last heartbeat ${slackDate(phone.lastHeartbeatAt)} · ${battery}${charging}${alerts ? ` · ${alerts}` : ''}`;
}

const ALERT_TEXT = {
  silent: ':rotating_light: silent alert',
  failing: ':warning: failing alert',
  battery: ':battery: battery low alert',
} as const;

/** The alerts open about a phone (and a failing streak short of an alert). */
export function openAlertsText(phone: PhoneView): string {
  const open: string[] = phone.openAlerts.map((kind) => ALERT_TEXT[kind]);
  if (!phone.openAlerts.includes('failing') && phone.sendFailures > 0)
    open.push(`${phone.sendFailures} send${phone.sendFailures === 1 ? '' : 's'} failed in a row`);
  return open.join(', ');
}

/** Phones with open alerts first (most alerts first), then by number. */
export function alertsFirst(phones: PhoneView[]): PhoneView[] {
  return [...phones].sort((a, b) => b.openAlerts.length - a.openAlerts.length || a.number.localeCompare(b.number));
}

/**
 * `/keys phones`: number (marked `test` for a test key's phone), key, status, last heartbeat,
 * charging, battery, open alerts; the first
 * PHONES_PER_MESSAGE by number (those with open alerts first), saying so when there are more
 * (pass one more to tell).
 */
export function phoneList(phones: PhoneView[]): SlackMessage {
  if (phones.length === 0) {
    const text = 'No phones yet: a phone appears here once it registers with a key.';
    return { text, blocks: [section(text)] };
  }
  const shown = alertsFirst(phones.slice(0, PHONES_PER_MESSAGE));
  const blocks = [header('Phones'), ...linesToSections(shown.map(phoneLine))];
  const cut = phones.length > shown.length;
  if (cut) blocks.push(context(`The first ${shown.length} by number; there are more. \`GET /api/v1/phones\` lists them all.`));
  return { text: `Phones (${cut ? `first ${shown.length}` : shown.length})`, blocks: blocks.slice(0, LIMITS.blocksPerMessage) };
}
