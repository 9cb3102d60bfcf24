import { tokenPublicIdOf } from '../domain/apiTokens.js';
import { publicIdOf } from '../domain/keyMaterial.js';
import type { IpLockMode } from '../models/index.js';

/**
 * Text for Slack: escaping, dates, durations, people, keys. Every message and view
 * formats these through here, so they read the same everywhere.
 */

/** Slack's three control characters; text from a user or a phone is escaped before it goes in mrkdwn. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A time in plain text, e.g. 2026-11-22T10:00:00Z: for notification text, where `<!date>` is not rendered. */
export function isoTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A date every reader sees in their own time zone (`<!date^…>`, with the ISO time as fallback). */
export function slackDate(date: Date | null | undefined, never = 'never'): string {
  if (!date) return never;
  const seconds = Math.floor(date.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${isoTime(date)}>`;
}

/** "42 minutes", "3 h 5 min", "2 d 4 h": a length of time for people. */
export function durationText(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'less than a minute';
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** A Slack user ID (as opposed to an actor such as `system:key-rotation` or `api:deploy`). */
export const isSlackUserId = (id: string): boolean => /^[UW][A-Z0-9]+$/.test(id);

/** A user as a mention; any other actor as escaped text. */
export const mention = (userId: string): string => (isSlackUserId(userId) ? `<@${userId}>` : escapeText(userId));

/** What a key is called in messages: its name (if known) and its public id. */
export interface KeyRef {
  keyId: string;
  name: string | null;
}

/** What a management API token is called in messages. */
export interface TokenRef {
  tokenId: string;
  name: string;
}

/** A name and its public id in mrkdwn, *name* (`id`), the name escaped; or the id alone. */
const label = (name: string | null, id: string): string => (name ? `*${escapeText(name)}* (\`${id}\`)` : `\`${id}\``);
/** The same for notification text: name (id). */
const plainLabel = (name: string | null, id: string): string => (name ? `${escapeText(name)} (${id})` : id);

/** A key in mrkdwn: *name* (`pk_…`). */
export const keyLabel = (key: KeyRef): string => label(key.name, publicIdOf(key.keyId));
/** A key in notification text: name (pk_…). */
export const keyPlain = (key: KeyRef): string => plainLabel(key.name, publicIdOf(key.keyId));
/** A token in mrkdwn: *name* (`mk_…`). */
export const tokenLabel = (token: TokenRef): string => label(token.name, tokenPublicIdOf(token.tokenId));
/** A token in notification text: name (mk_…). */
export const tokenPlain = (token: TokenRef): string => plainLabel(token.name, tokenPublicIdOf(token.tokenId));

/** The first `max` items, and how many more there are of `total` (default: all of them are in `items`). */
export function someOf(items: string[], max: number, none = 'none', total = items.length): string {
  if (total === 0) return none;
  const shown = items.slice(0, max);
  return total > shown.length ? `${shown.join(', ')} and ${total - shown.length} more` : shown.join(', ');
}

/** What an edit changed, as `name: old → new; scopes: heartbeat → heartbeat, messages` (values escaped). */
export function changesText(changes: Record<string, { from: unknown; to: unknown }>): string {
  const valueText = (field: string, value: unknown): string => {
    if (field === 'ip_lock' && value && typeof value === 'object') {
      const lock = value as { mode: IpLockMode; entries?: string[] };
      return ipLockText({ mode: lock.mode, entries: lock.entries ?? [], firstIp: null });
    }
    if (Array.isArray(value)) return value.length ? value.map((v) => escapeText(String(v))).join(', ') : 'none';
    const text = String(value ?? '');
    return text ? `“${escapeText(text.slice(0, 100))}”` : 'empty';
  };
  const label: Record<string, string> = { ip_lock: 'IP lock' };
  return Object.entries(changes)
    .map(([field, { from, to }]) => `${label[field] ?? field}: ${valueText(field, from)} → ${valueText(field, to)}`)
    .join('; ');
}

export function ipLockText(lock: { mode: IpLockMode; entries: string[]; firstIp: string | null }): string {
  switch (lock.mode) {
    case 'off':
      return 'off (any IP)';
    case 'first':
      return lock.firstIp ? `first IP: \`${lock.firstIp}\`` : 'first IP (not used yet: locks to the first IP that uses it)';
    case 'list':
      return `list: ${someOf(
        lock.entries.map((e) => `\`${e}\``),
        10,
      )}`;
  }
}

/** A share for people: 0.9996 → "99.9 %" (never rounded up to 100 unless it is 100), 0.5 → "50.0 %". */
export function percentText(share: number): string {
  if (share >= 1) return '100 %';
  return `${(Math.floor(share * 1000) / 10).toFixed(1)} %`;
}

/** The period's days, e.g. "Mon 23 Nov – Sun 29 Nov 2026 (UTC)" (the end is exclusive). */
export function periodText({ start, end }: { start: Date; end: Date }): string {
  const part = (date: Date, options: Intl.DateTimeFormatOptions) => date.toLocaleDateString('en-GB', { ...options, timeZone: 'UTC' });
  const day = (date: Date) => `${part(date, { weekday: 'short' })} ${part(date, { day: 'numeric', month: 'short' })}`;
  const last = new Date(end.getTime() - 1);
  return `${day(start)} – ${day(last)} ${part(last, { year: 'numeric' })} (UTC)`;
}
