import type { KeyView } from '../../domain/keys.js';
import type { PhoneView } from '../../domain/phones.js';
import type { AlertChannelStatus } from '../alertChannel.js';
import { escapeText, ipLockText, keyLabel, percentText, slackDate } from '../format.js';
import { type Block, context, divider, type HomeView, header, LIMITS, linesToSections, section } from '../kit.js';
import { keyStatusText } from './keyList.js';

import { openAlertsText, phoneLine } from './phoneList.js';
import { webhookUrlText } from './revealMessage.js';

const MAX_KEYS = 40;
const MAX_PHONES = 60;

const PHONE_ORDER = { silent: 0, failing: 1, 'never seen': 2, paused: 3, online: 4, unlinked: 5 } as const;
const MAX_ALERTS = 30;

/** Keys due for rotation first, then newest. */
function homeKeyOrder(keys: KeyView[]): KeyView[] {
  return [...keys].sort((a, b) => Number(b.rotationDue) - Number(a.rotationDue));
}

/** Silent phones first, then failing, never seen, paused, online, unlinked; by number within each. */
function homePhoneOrder(phones: PhoneView[]): PhoneView[] {
  return [...phones].sort((a, b) => PHONE_ORDER[a.status] - PHONE_ORDER[b.status] || a.number.localeCompare(b.number));
}

/** The phones App Home lists (the rest are counted): their online shares are all it needs to read. */
export const homePhones = (phones: PhoneView[]): PhoneView[] => homePhoneOrder(phones).slice(0, MAX_PHONES);

/** Linked phones are the fleet; unlinked numbers are counted apart, never among them. */
function phoneCounts(phones: PhoneView[], silent: number, failing: number): string {
  const unlinked = phones.filter((p) => p.status === 'unlinked').length;
  const linked = phones.length - unlinked;
  return `${linked} linked phone${linked === 1 ? '' : 's'} · ${silent} silent · ${failing} failing${unlinked ? ` · ${unlinked} unlinked` : ''}`;
}

const shareText = (share: number | null | undefined) => (share == null ? '' : ` · online ${percentText(share)} (7 d)`);

/**
 * App Home: a summary of keys (rotation due first) and phones (silent first), each phone with its
 * share of the last 7 days online when known (`onlineShares`, by number).
 */

/** Whether alerts reach the channel; nothing when they do. */
function alertChannelBlocks(channel: AlertChannelStatus | undefined): Block[] {
  if (channel?.state !== 'broken') return [];
  return [
    section(
      `:rotating_light: *Alerts cannot be posted in <#${channel.channel}>* (Slack says \`${escapeText(channel.error ?? 'no')}\`${channel.since ? ` since ${slackDate(channel.since)}` : ''}). To fix it: ${channel.fix}.`,
    ),
    divider(),
  ];
}

/** Phones with an alert open, before anything else. */
function openAlertBlocks(phones: PhoneView[]): Block[] {
  const alerting = phones.filter((p) => p.openAlerts.length > 0);
  if (alerting.length === 0) return [];
  const lines = homePhoneOrder(alerting)
    .slice(0, MAX_ALERTS)
    .map(
      (p) => `*${p.number}* · ${p.publicId ? `\`${p.publicId}\` (${escapeText(p.keyName ?? '?')})` : '_unlinked_'} · ${openAlertsText(p)}`,
    );
  return [
    header('Open alerts'),
    ...linesToSections(lines),
    ...(alerting.length > MAX_ALERTS ? [context(`… and ${alerting.length - MAX_ALERTS} more: \`/keys phones\`.`)] : []),
    divider(),
  ];
}

/**
 * App Home: the alert channel if alerts cannot be posted, open alerts, then keys (rotation due
 * first) and phones (silent and failing first), each phone with its share of the last 7 days
 * online when known (`onlineShares`, by number).
 */
export function homeView({
  keys,
  phones,
  now,
  onlineShares = new Map(),
  webhookUrl,
  alertChannel,
}: {
  keys: KeyView[];
  phones: PhoneView[];
  now: Date;
  onlineShares?: ReadonlyMap<string, number | null>;
  /** `<PUBLIC_URL>/webhooks/phone`, if PUBLIC_URL is set. */
  webhookUrl?: string;
  alertChannel?: AlertChannelStatus;
}): HomeView {
  const due = keys.filter((k) => k.rotationDue).length;
  const silent = phones.filter((p) => p.status === 'silent').length;
  const failing = phones.filter((p) => p.status === 'failing').length;
  const keyLines = homeKeyOrder(keys)
    .slice(0, MAX_KEYS)
    .map(
      (k) =>
        `${k.rotationDue ? ':warning: ' : ''}${keyLabel(k)}${k.environment === 'test' ? ' `test`' : ''} · ${keyStatusText(k)} · ${k.phoneCount} phone${k.phoneCount === 1 ? '' : 's'} · IP lock ${ipLockText(k.ipLock)} · ${k.algorithm} · last used ${slackDate(k.lastUsedAt)}`,
    );
  const phoneLines = homePhones(phones).map((p) => `${phoneLine(p)}${shareText(onlineShares.get(p.number))}`);
  const blocks: Block[] = [
    ...alertChannelBlocks(alertChannel),
    ...openAlertBlocks(phones),
    header('Phone keys'),
    context(
      `${keys.length} key${keys.length === 1 ? '' : 's'} · ${due} due for rotation · updated ${slackDate(now)} · \`/keys help\` for commands`,
    ),
    ...(keyLines.length ? linesToSections(keyLines) : [section('No keys yet. Create one with `/keys create [name]`.')]),
    ...(keys.length > MAX_KEYS ? [context(`… and ${keys.length - MAX_KEYS} more: \`/keys list\`.`)] : []),
    divider(),
    header('Phones'),
    context(webhookUrlText(webhookUrl)),
    context(phoneCounts(phones, silent, failing)),
    ...(phoneLines.length ? linesToSections(phoneLines) : [section('No phones yet: a phone appears once it registers with a key.')]),
    ...(phones.length > MAX_PHONES ? [context(`… and ${phones.length - MAX_PHONES} more: \`/keys phones\`.`)] : []),
  ];
  return { type: 'home', blocks: blocks.slice(0, LIMITS.blocksPerView) };
}
