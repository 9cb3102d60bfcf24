import type { PhoneStatus, PhoneView } from '../../domain/phones.js';
import { escapeText, slackDate } from '../format.js';
import { context, header, LIMITS, linesToSections, type SlackMessage, section } from '../kit.js';

const STATUS_ICON: Record<PhoneStatus, string> = {
  online: ':large_green_circle: online',
  silent: ':red_circle: silent',
  'never seen': ':white_circle: never seen',
  paused: ':double_vertical_bar: paused',
};

/** Most phones per message: lines are grouped into sections below Slack's text limit. */
const MAX_PHONES = 300;

export function phoneLine(phone: PhoneView): string {
  const key = phone.publicId ? `\`${phone.publicId}\` (${escapeText(phone.keyName ?? '?')})` : '_unlinked_';
  const status = phone.status === 'paused' ? `${STATUS_ICON.paused} until ${slackDate(phone.pausedUntil)}` : STATUS_ICON[phone.status];
  const battery = phone.battery === null ? 'battery ?' : `battery ${phone.battery}%`;
  const charging = phone.charging === null ? '' : phone.charging ? ', charging' : ', not charging';
  return `*${phone.number}* · ${key} · ${status} · last heartbeat ${slackDate(phone.lastHeartbeatAt)} · ${battery}${charging}`;
}

/** `/keys phones`: number, key, status, last heartbeat, charging, battery. */
export function phoneList(phones: PhoneView[]): SlackMessage {
  if (phones.length === 0) {
    const text = 'No phones yet: a phone appears here once it registers with a key.';
    return { text, blocks: [section(text)] };
  }
  const shown = phones.slice(0, MAX_PHONES);
  const blocks = [header('Phones'), ...linesToSections(shown.map(phoneLine))];
  if (phones.length > shown.length) blocks.push(context(`… and ${phones.length - shown.length} more.`));
  return { text: `Phones (${phones.length})`, blocks: blocks.slice(0, LIMITS.blocksPerMessage) };
}
