import type { IpLockMode } from '../models/index.js';

/** Text helpers for Slack mrkdwn. */

/** Slack's three control characters; user-typed text is escaped before it goes in mrkdwn. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A date every reader sees in their own time zone (with an ISO fallback). */
export function slackDate(date: Date | null | undefined, never = 'never'): string {
  if (!date) return never;
  const seconds = Math.floor(date.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${date.toISOString().replace(/\.\d{3}Z$/, 'Z')}>`;
}

/** A Slack user ID (as opposed to an actor such as `system:key-rotation`). */
export const isSlackUserId = (id: string): boolean => /^[UW][A-Z0-9]+$/.test(id);

export const mention = (userId: string): string => (isSlackUserId(userId) ? `<@${userId}>` : escapeText(userId));

export function durationText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 6) / 10;
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  const days = Math.round(hours / 2.4) / 10;
  return `${days} days`;
}

/** Lists at most `max` items, then says how many more. */
export function someOf(items: string[], max: number, none = 'none'): string {
  if (items.length === 0) return none;
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
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

export const IP_LOCK_LABELS: Record<IpLockMode, string> = {
  off: 'Off: any IP may use the key',
  first: 'First IP: lock to the first IP that uses it',
  list: 'IP list: only these addresses and ranges',
};
