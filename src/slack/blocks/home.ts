import { type Overview, type OverviewLimits, TROUBLE_FIRST } from '../../domain/overview.js';
import type { PhoneStatus, PhoneView } from '../../domain/phones.js';
import type { AlertChannelStatus } from '../alertChannel.js';
import { escapeText, ipLockText, keyLabel, percentText, slackDate } from '../format.js';
import { type Block, context, divider, type HomeView, header, LIMITS, linesToSections, section } from '../kit.js';
import { keyStatusText } from './keyList.js';

import { ALERT_TEXT, phoneLine } from './phoneList.js';
import { webhookUrlText } from './revealMessage.js';

/** How many of each list App Home holds: with the headers and counts, within a home view's 100 blocks. */
export const HOME_LIMITS: OverviewLimits = { alerts: 30, keys: 40, phones: 60 };

const count = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;
/** The `/keys phones` word of a status. */
const statusWord = (status: PhoneStatus): string => status.replace(' ', '-');

/** The phones App Home lists (the rest are counted): their online shares are all it needs to read. */
export const homePhones = (overview: Overview): PhoneView[] => overview.phones.groups.flatMap((g) => g.phones);

/** Linked phones are the fleet; unlinked numbers are counted apart, never among them. */
function phoneCounts(counts: Record<PhoneStatus, number>): string {
  const linked = TROUBLE_FIRST.filter((s) => s !== 'unlinked').reduce((sum, s) => sum + counts[s], 0);
  return `${plural(linked, 'linked phone')} · ${count(counts.silent)} silent · ${count(counts.failing)} failing${counts.unlinked ? ` · ${count(counts.unlinked)} unlinked` : ''}`;
}

const shareText = (share: number | null | undefined) => (share == null ? '' : ` · online ${percentText(share)} (7 d)`);

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

/** Open alerts, newest first, before anything else. */
function openAlertBlocks({ alerts, count: open }: Overview['openAlerts']): Block[] {
  if (alerts.length === 0) return [];
  const lines = alerts.map(
    (a) => `${ALERT_TEXT[a.kind]} · *${a.phoneNumber}* · \`${a.publicId}\` (${escapeText(a.keyName ?? '?')}) · since ${slackDate(a.since)}`,
  );
  return [
    header('Open alerts'),
    context(`${plural(open, 'alert')} open, newest first`),
    ...linesToSections(lines),
    ...(open > alerts.length
      ? [context(`… and ${count(open - alerts.length)} more: \`/keys phones silent\`, \`/keys phones failing\`.`)]
      : []),
    divider(),
  ];
}

/** Each status's phones shown, and where to see the rest when the list was cut (a line of its own). */
function phoneLines(overview: Overview, onlineShares: ReadonlyMap<string, number | null>): string[] {
  return overview.phones.groups.flatMap(({ status, phones, count: all }) => {
    const lines = phones.map((p) => `${phoneLine(p)}${shareText(onlineShares.get(p.number))}`);
    if (all > phones.length) {
      const what = phones.length ? `and ${count(all - phones.length)} more` : count(all);
      lines.push(`_… ${what} ${status}:_ \`/keys phones ${statusWord(status)}\``);
    }
    return lines;
  });
}

/**
 * App Home: the alert channel if alerts cannot be posted, open alerts, then keys (rotation due
 * first) and phones (silent and failing first), each phone with its share of the last 7 days
 * online when known (`onlineShares`, by number).
 */
export function homeView({
  overview,
  now,
  onlineShares = new Map(),
  webhookUrl,
  alertChannel,
}: {
  overview: Overview;
  now: Date;
  onlineShares?: ReadonlyMap<string, number | null>;
  /** `<PUBLIC_URL>/webhooks/phone`, if PUBLIC_URL is set. */
  webhookUrl?: string;
  alertChannel?: AlertChannelStatus;
}): HomeView {
  const { keys } = overview;
  const keyLines = keys.shown.map(
    (k) =>
      `${k.rotationDue ? ':warning: ' : ''}${keyLabel(k)}${k.environment === 'test' ? ' `test`' : ''} · ${keyStatusText(k)} · ${k.phoneCount} phone${k.phoneCount === 1 ? '' : 's'} · IP lock ${ipLockText(k.ipLock)} · ${k.algorithm} · last used ${slackDate(k.lastUsedAt)}`,
  );
  const phones = phoneLines(overview, onlineShares);
  const blocks: Block[] = [
    ...alertChannelBlocks(alertChannel),
    ...openAlertBlocks(overview.openAlerts),
    header('Phone keys'),
    context(`${plural(keys.count, 'key')} · ${count(keys.due)} due for rotation · updated ${slackDate(now)} · \`/keys help\` for commands`),
    ...(keyLines.length ? linesToSections(keyLines) : [section('No keys yet. Create one with `/keys create [name]`.')]),
    ...(keys.count > keys.shown.length ? [context(`… and ${count(keys.count - keys.shown.length)} more: \`/keys list\`.`)] : []),
    divider(),
    header('Phones'),
    context(webhookUrlText(webhookUrl)),
    context(phoneCounts(overview.phones.counts)),
    ...(phones.length ? linesToSections(phones) : [section('No phones yet: a phone appears once it registers with a key.')]),
  ];
  return { type: 'home', blocks: blocks.slice(0, LIMITS.blocksPerView) };
}
