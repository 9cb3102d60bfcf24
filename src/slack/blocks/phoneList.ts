import type { PhoneStatus, PhoneView } from '../../domain/phones.js';
import { type CursorPageState, decodeButtonState, pagerBlock } from '../buttonState.js';
import { escapeText, slackDate } from '../format.js';
import { ActionId } from '../ids.js';
import { type Block, context, header, LIMITS, linesToSections, type SlackMessage, section } from '../kit.js';

const STATUS_ICON: Record<PhoneStatus, string> = {
  online: ':large_green_circle: online',
  silent: ':red_circle: silent',
  failing: ':warning: failing to send',
  'never seen': ':white_circle: never seen',
  paused: ':double_vertical_bar: paused',
  unlinked: ':heavy_minus_sign: unlinked',
};

/** Phones per page of `/keys phones`: lines grouped into sections below Slack's text limit. */
export const PHONES_PER_PAGE = 100;

export function phoneLine(phone: PhoneView): string {
  const key = phone.publicId ? `\`${phone.publicId}\` (${escapeText(phone.keyName ?? '?')})` : '_no key_';
  const status = phone.status === 'paused' ? `${STATUS_ICON.paused} until ${slackDate(phone.pausedUntil)}` : STATUS_ICON[phone.status];
  const battery = phone.battery === null ? 'battery ?' : `battery ${phone.battery}%`;
  const charging = phone.charging === null ? '' : phone.charging ? ', charging' : ', not charging';
  const test = phone.environment === 'test' ? ' `test`' : '';
  const alerts = openAlertsText(phone);
  return `*${phone.number}*${test} · ${key} · ${status} · last heartbeat ${slackDate(phone.lastHeartbeatAt)} · ${battery}${charging}${alerts ? ` · ${alerts}` : ''}`;
}

export const ALERT_TEXT = {
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

/** Which phones a page shows, as its "Next page" button carries it (a status word or a key id; the cursor). */
export interface PhonesPageState extends CursorPageState {
  /** The status word as typed (`silent`, `failing`…), or absent. */
  status?: string;
  keyId?: string;
}

export const decodePhonesPage = (value: string | undefined): PhonesPageState => decodeButtonState(value, ['status', 'keyId', 'cursor']);

/**
 * One page of `/keys phones` (README: Using /keys): number (marked `test` for a test key's phone),
 * key, status, last heartbeat, charging, battery, open alerts, by number; a "Next page" button while more remain.
 * `title` names what is listed ("Silent phones", "Phones of *gw* (`pk_…`)"; mrkdwn-safe).
 */
export function phoneListPage({
  phones,
  next,
  title = 'Phones',
  page = 1,
}: {
  phones: PhoneView[];
  /** The state of the next page, when there is one. */
  next: PhonesPageState | null;
  title?: string;
  page?: number;
}): SlackMessage {
  if (phones.length === 0) {
    const text =
      title === 'Phones'
        ? 'No phones yet: a phone appears here once it registers with a key.'
        : `No ${title[0]!.toLowerCase()}${title.slice(1)}.`;
    return { text, blocks: [section(page > 1 ? `${text} (no more pages)` : text)] };
  }
  const blocks: Block[] = [
    header(title.replace(/[*`]/g, '')),
    context(`Page ${page}, by number. \`/keys phones [silent|online|failing|never-seen|paused|unlinked|&lt;key&gt;]\` filters.`),
    // Within a page, phones with open alerts first.
    ...linesToSections(alertsFirst(phones).map(phoneLine)),
  ];
  if (next) blocks.push(pagerBlock('phones_pager', 'Next page', ActionId.phonesPage, { ...next, page: page + 1 }));
  return { text: `${title.replace(/[*`]/g, '')} (page ${page})`, blocks: blocks.slice(0, LIMITS.blocksPerMessage) };
}
